#include "policy/rate_limit_headers.hpp"

#include <algorithm>

namespace almagate {

std::int64_t daily_allowance(const budget_limits& limits) {
  std::int64_t pool_part = std::max<std::int64_t>(0, limits.daily_limit - limits.reserve);
  return limits.quota ? std::min(*limits.quota, pool_part) : pool_part;
}

rate_limit_fields rate_limit_fields_for(const budget_state& state, const budget_limits& limits,
                                        std::chrono::seconds until_reset) {
  std::int64_t remaining = remaining_for_client(state, limits);
  rate_limit_fields out;
  out.policy = "\"daily\";q=" + std::to_string(daily_allowance(limits)) + ";w=86400";
  out.limit = "\"daily\";r=" + std::to_string(remaining) +
              ";t=" + std::to_string(std::max<std::int64_t>(0, until_reset.count()));
  out.exl_remaining = std::to_string(remaining);
  return out;
}

}  // namespace almagate
