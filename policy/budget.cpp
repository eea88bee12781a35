#include "policy/budget.hpp"

#include <algorithm>

namespace almagate {

std::string_view outcome_name(outcome o) {
  switch (o) {
    case outcome::charged: return "charged";
    case outcome::quota_spent: return "quota_spent";
    case outcome::pool_spent: return "pool_spent";
    case outcome::reserve_reached: return "reserve_reached";
  }
  return "unknown";
}

std::string_view outcome_message(outcome o) {
  switch (o) {
    case outcome::charged: return "";
    case outcome::quota_spent: return "This client's daily quota is spent.";
    case outcome::pool_spent: return "The daily API limit of this environment is spent.";
    case outcome::reserve_reached:
      return "The daily API limit of this environment is down to the reserve kept for "
             "higher tiers.";
  }
  return "";
}

budget_decision decide(const budget_state& state, const budget_limits& limits,
                       std::int64_t min_calls, std::int64_t max_calls) {
  min_calls = std::max<std::int64_t>(min_calls, 1);
  max_calls = std::max(max_calls, min_calls);
  if (limits.quota && *limits.quota - state.client_used < min_calls)
    return {outcome::quota_spent, 0};
  const auto pool_left = limits.daily_limit - state.pool_used;
  if (state.pool_marked_spent || pool_left <= 0) return {outcome::pool_spent, 0};
  if (pool_left < min_calls && limits.reserve <= 0) return {outcome::pool_spent, 0};
  const auto above_reserve = pool_left - limits.reserve;
  if (above_reserve < min_calls) return {outcome::reserve_reached, 0};
  auto granted = std::min(max_calls, above_reserve);
  if (limits.quota) granted = std::min(granted, *limits.quota - state.client_used);
  return {outcome::charged, granted};
}

std::int64_t remaining_for_client(const budget_state& state, const budget_limits& limits) {
  if (state.pool_marked_spent) return 0;
  auto left = limits.daily_limit - state.pool_used - limits.reserve;
  if (limits.quota) left = std::min(left, *limits.quota - state.client_used);
  return std::max<std::int64_t>(left, 0);
}

std::optional<std::int64_t> quota_left(const budget_state& state, const budget_limits& limits) {
  if (!limits.quota) return std::nullopt;
  return std::max<std::int64_t>(*limits.quota - state.client_used, 0);
}

}  // namespace almagate
