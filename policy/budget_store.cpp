#include "policy/budget_store.hpp"

namespace almagate {

pool_day_key key_for(const pool& p, const pool_day& d) {
  return {p.name, d.label, d.next_reset + count_slack};
}

}  // namespace almagate
