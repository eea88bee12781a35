#pragma once
// Where the day's counts live: the in-process memory store or Redis, shared by instances.
//
// Threading: a store instance belongs to ONE event loop (one io_context thread). Call it only
// from that loop; its completions resume there. The gateway creates one instance per loop with
// a store_factory (redis: one non-blocking hiredis connection per loop; memory: every
// instance shares one mutex-guarded state, so all loops of a process see the same counts).
//
// Errors are values (store_errc in budget_store_error.hpp): an operation never throws, never
// hangs past the store's command timeout, and the store reconnects by itself.
//
// Leases: charge() grants any amount in [min_calls, max_calls] in one atomic step and never
// lets a count pass its limit, so an instance can take a block of budget ahead of time and
// give back what it did not use with refund().

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/system/result.hpp>

#include "policy/areas.hpp"
#include "policy/budget.hpp"
#include "policy/budget_store_error.hpp"
#include "policy/config.hpp"
#include "policy/day.hpp"
#include "policy/pacing.hpp"
#include "proxy/io.hpp"

namespace almagate {

template <class T>
using store_result = boost::system::result<T>;

// How long a day's counts outlive the day (clock skew between instances, late refunds).
inline constexpr std::chrono::hours count_slack{2};

// One pool's counts for one pool-day.
struct pool_day_key {
  std::string pool;                     // pool::name
  std::string day;                      // pool_day::label
  std::chrono::sys_seconds expire_at;   // pool_day::next_reset + count_slack
};
pool_day_key key_for(const pool& p, const pool_day& d);

struct charge_request {
  pool_day_key where;
  std::string client;                   // client::id
  budget_limits limits;                 // pool limit, tier reserve, client quota
  std::int64_t min_calls = 1;           // grant at least this many or nothing
  std::int64_t max_calls = 1;           // and at most this many
  std::chrono::seconds retry_after{0};  // pool_day::until_reset, echoed on refusal
};

struct charge_reply {
  outcome result = outcome::charged;
  std::int64_t granted = 0;              // calls counted now (0 when refused)
  budget_state counts;                   // after this charge
  std::int64_t remaining_for_client = 0; // budget.hpp remaining_for_client(counts, limits)
  std::chrono::seconds retry_after{0};   // request's retry_after when refused, else 0
  bool counted_locally = false;          // store_failure share: decided by this instance alone
};

struct refund_request {
  pool_day_key where;
  std::string client;
  std::int64_t calls = 1;  // counts never go below zero
};

// One line of the usage report: calls per day, client, environment, area, access, status.
struct usage_record {
  std::string day;          // the pool-day label (the gateway's own zone if not counted)
  std::string client;
  std::string environment;
  area area_ = area::bibs;
  access access_ = access::read;
  int status_class = 2;     // 2 for 2xx, ... 4 for refused by almagate (429)
  std::int64_t calls = 1;
};

// Calls per local hour of one pool-day, index = hour of the local clock.
using hourly_counts = std::array<std::int64_t, 24>;

// How long hourly counts are kept (the dashboard shows today and yesterday).
inline constexpr std::chrono::hours hourly_retention{24 * 8};

// The hour (0-23) of `t` on the local clock of `zone`: the bucket record_hourly counts in.
int local_hour(const date::time_zone& zone, std::chrono::system_clock::time_point t);

// local_hour remembered for the current UTC minute: every zone's offset is a whole number of
// minutes, so the local hour cannot change within one.
class local_hour_memo {
 public:
  int at(const date::time_zone& zone, std::chrono::system_clock::time_point t);

 private:
  const date::time_zone* zone_ = nullptr;
  std::chrono::sys_time<std::chrono::minutes> minute_{};
  int hour_ = -1;
};

class budget_store {
 public:
  virtual ~budget_store() = default;

  // Atomically decides (budget.hpp decide) and counts to the client's quota and the pool.
  virtual awaitable<store_result<charge_reply>> charge(charge_request request) = 0;

  // Gives back calls that never reached the upstream, or the unused part of a lease.
  virtual awaitable<store_result<budget_state>> refund(refund_request request) = 0;

  // X-Exl-Api-Remaining: pool used becomes max(used, daily_limit - alma_remaining).
  // The returned state's client_used is 0 (no client involved).
  virtual awaitable<store_result<budget_state>> reconcile_remaining(
      pool_day_key where, std::int64_t daily_limit, std::int64_t alma_remaining) = 0;

  // An upstream 429 DAILY_THRESHOLD: refuse everything in this pool until its reset.
  virtual awaitable<store_result<void>> mark_pool_spent(pool_day_key where) = 0;

  virtual awaitable<store_result<budget_state>> read_counts(pool_day_key where,
                                                            std::string client) = 0;

  // Fire and forget (pipelined); lost if the store is down.
  virtual void record_usage(usage_record record) = 0;

  // Every usage line recorded for a day (summed over instances).
  virtual awaitable<store_result<std::vector<usage_record>>> read_usage(std::string day) = 0;

  // Calls per local hour (0-23, local_hour() in the pool's zone) of a pool-day, for the
  // dashboard's burn rate. Fire and forget like record_usage; kept hourly_retention.
  virtual void record_hourly(std::string pool, std::string day, int hour,
                             std::int64_t calls) = 0;
  // The 24 counts of a pool-day (zeros where nothing was recorded), summed over instances.
  virtual awaitable<store_result<hourly_counts>> read_hourly(std::string pool,
                                                             std::string day) = 0;

  // Pacing (policy/pacing.hpp): takes the earliest slot this call may take in its pool's
  // schedule (and its client's), or refuses at once, taking nothing, if that slot is more than
  // max_wait away. The caller waits until reply.slot, then forwards.
  virtual awaitable<store_result<pace_reply>> reserve_slot(pace_request request) = 0;

  // A call that gave up while waiting gives its slot back; only a slot still in the future is
  // freed. Best effort: false if nothing was freed.
  virtual awaitable<store_result<bool>> release_slot(
      pace_request request, std::chrono::system_clock::time_point slot) = 0;

  // Live quota overrides, shared by every instance and kept across restarts (Redis): they
  // replace a client's configured daily quota until cleared.
  virtual awaitable<store_result<void>> set_quota_override(std::string client,
                                                           std::int64_t quota) = 0;
  virtual awaitable<store_result<void>> clear_quota_override(std::string client) = 0;
  virtual awaitable<store_result<std::map<std::string, std::int64_t>>>
  read_quota_overrides() = 0;

  // True for the first caller only, over all instances, per pool-day and threshold: send the
  // alert for `threshold` once a day. Forgotten when the pool-day's counts expire.
  virtual awaitable<store_result<bool>> claim_alert(pool_day_key where, double threshold) = 0;
};

// Creates the store instance of one event loop.
using store_factory = std::function<std::unique_ptr<budget_store>(executor)>;

}  // namespace almagate
