// local_hour (policy/budget_store.hpp): the bucket of the hourly counts.

#include <date/tz.h>

#include "policy/budget_store.hpp"

namespace almagate {

int local_hour(const date::time_zone& zone, std::chrono::system_clock::time_point t) {
  const auto local = zone.to_local(std::chrono::floor<std::chrono::seconds>(t));
  const auto since_midnight = local - date::floor<date::days>(local);
  return static_cast<int>(std::chrono::duration_cast<std::chrono::hours>(since_midnight).count());
}

}  // namespace almagate
