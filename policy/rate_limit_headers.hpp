#pragma once
// What a script is told of its daily allowance: the IETF RateLimit-Policy and RateLimit
// fields (draft-ietf-httpapi-ratelimit-headers), and X-Exl-Api-Remaining rewritten to the
// calls this client can still make today, so scripts that back off on Alma's header back off
// on their own allowance.

#include <chrono>
#include <string>

#include "policy/budget.hpp"

namespace almagate {

struct rate_limit_fields {
  std::string policy;          // RateLimit-Policy: "daily";q=60000;w=86400
  std::string limit;           // RateLimit: "daily";r=59000;t=3600
  std::string exl_remaining;   // X-Exl-Api-Remaining: 59000
};

// The client's daily allowance: its quota, capped by the pool above its tier's reserve.
std::int64_t daily_allowance(const budget_limits& limits);

rate_limit_fields rate_limit_fields_for(const budget_state& state, const budget_limits& limits,
                                        std::chrono::seconds until_reset);

}  // namespace almagate
