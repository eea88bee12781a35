#pragma once
// The budget decision: given a pool's and a client's counts for the day, may n more calls go?
// Pure. The Redis script policy/lua/charge.lua makes the same decision inside Redis.

#include <cstdint>
#include <optional>
#include <string_view>

namespace almagate {

enum class outcome : std::uint8_t {
  charged,          // granted calls were counted
  quota_spent,      // the client's daily quota is spent
  pool_spent,       // the pool is spent (or marked spent by an upstream 429)
  reserve_reached,  // the pool's remaining calls are at or under the tier's reserve
};

std::string_view outcome_name(outcome o);  // "charged", "quota_spent", ...
// For the 429 DAILY_THRESHOLD message: which limit was hit.
std::string_view outcome_message(outcome o);

struct budget_limits {
  std::int64_t daily_limit = 0;             // the pool's
  std::int64_t reserve = 0;                 // pool::reserve_for(client's tier); 0 for core
  std::optional<std::int64_t> quota;        // client's daily quota; none = only the pool limits
  bool operator==(const budget_limits&) const = default;
};

struct budget_state {
  std::int64_t pool_used = 0;
  std::int64_t client_used = 0;
  bool pool_marked_spent = false;
};

struct budget_decision {
  outcome result = outcome::charged;
  std::int64_t granted = 0;  // in [min_calls, max_calls] when charged, else 0
};

// Grants as many calls as possible in [min_calls, max_calls] (all-or-nothing when equal;
// a lease asks min..max so blocks shrink near a limit). Checks quota, then pool, then reserve.
budget_decision decide(const budget_state& state, const budget_limits& limits,
                       std::int64_t min_calls = 1, std::int64_t max_calls = 1);

// Calls this client can still make today: min(quota left, pool left above its reserve), >= 0.
// This is what X-Exl-Api-Remaining is rewritten to.
std::int64_t remaining_for_client(const budget_state& state, const budget_limits& limits);

// Calls the client's quota still allows today (the RateLimit remaining), none if no quota.
std::optional<std::int64_t> quota_left(const budget_state& state, const budget_limits& limits);

}  // namespace almagate
