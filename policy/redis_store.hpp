#pragma once
// The Redis store, shared by any number of gateway instances.
//
// Keys (prefix = redis_options::key_prefix):
//   <prefix>budget:{<pool>}:<day>  hash {used, spent, c:<client>}; the {pool} hash tag keeps a
//                                  pool on one Cluster slot; EXPIREAT next reset + count_slack
//   <prefix>usage:<day>            hash "<client>|<environment>|<area>|<access>|<class>" -> calls
//   <prefix>hours:{<pool>}:<day>   hash local hour "0".."23" -> calls; EXPIRE hourly_retention
//   <prefix>pace:{<pool>}          sorted set of taken pacing slots (unix us); PEXPIRE
//                                  pace_history + 1 s past the last slot
//   <prefix>pace:{<pool>}:client:<client>  the client's earliest next slot (unix us), same TTL
//   <prefix>quota_overrides        hash client -> daily quota; no expiry (survives restarts)
//   <prefix>alerts:{<pool>}:<day>  hash threshold -> 1 (claimed); EXPIREAT with the day's counts
// Each charge, refund, reconciliation, spent mark, slot reservation, slot release and alert
// claim is one Lua script (policy/lua/, embedded),
// run with EVALSHA and loaded with SCRIPT LOAD on NOSCRIPT.

#include "policy/budget_share.hpp"
#include "policy/budget_store.hpp"
#include "policy/memory_store.hpp"
#include "policy/redis_asio.hpp"

namespace almagate {

// How long usage lines are kept for reports (EXPIRE, renewed on each write).
inline constexpr std::chrono::hours usage_retention{24 * 400};

// store_failure: share. One per process, shared by the stores of all its event loops.
// Each store then heartbeats <prefix>instances (a sorted set scored by expiry, Redis clock)
// and, while Redis is down, charge() decides with `counts` instead of failing; what it counted
// is added to Redis (policy/lua/add.lua) once Redis answers again.
struct redis_share {
  budget_share counts;
  std::string instance_id;  // random, per process
  std::chrono::milliseconds heartbeat_interval{2'000};  // an instance is live for 3 intervals
  // While Redis is down, reserve_slot paces here at rate / live instances.
  local_pacer pacing;
};
std::shared_ptr<redis_share> make_redis_share();

// One instance (one connection) per event loop; see budget_store.hpp. With `share`, failures
// of charge, refund, reconcile_remaining, mark_pool_spent, reserve_slot and release_slot are
// handled locally; the others return their error.
std::unique_ptr<budget_store> make_redis_store(executor ex, redis_options options,
                                               std::shared_ptr<redis_share> share = nullptr);
// failure == share: one redis_share for all stores it makes. closed/open: errors are returned
// and the caller refuses (503) or forwards uncounted.
store_factory make_redis_store_factory(redis_options options,
                                       store_failure_mode failure = store_failure_mode::closed);

}  // namespace almagate
