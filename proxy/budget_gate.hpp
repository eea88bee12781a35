#pragma once
// Charges each forwarded call to the shared budget before it goes upstream, and carries the
// store's answers back: refusals, refunds, reconciliation with Alma's own count, usage lines.
// One per event loop, like its store.

#include <map>
#include <memory>
#include <tuple>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "policy/budget_store.hpp"
#include "policy/day.hpp"
#include "policy/lease_size.hpp"
#include "policy/decision.hpp"
#include "policy/rate_limit_headers.hpp"
#include "proxy/gateway.hpp"
#include "proxy/metrics.hpp"

namespace almagate {

// What a charged call carries until its response has gone back.
struct budget_ticket {
  bool counted = false;  // charged in the store (false: pool-less environment or failed open)
  bool leased = false;   // counted as part of this loop's lease: a refund goes back to it
  pool_day_key where;
  std::string client;
  budget_limits limits;
  budget_state counts;
  std::chrono::seconds until_reset{0};
  std::string usage_day;
  int usage_hour = -1;  // the pool's local hour when charged (-1: none, worked out at usage)
  std::optional<rate_limit_fields> headers;
};

struct budget_outcome {
  std::optional<budget_ticket> ticket;  // the call may go on
  refusal refused;                      // otherwise why not
  call_outcome refused_as = call_outcome::refused_quota;  // for the metrics
  std::optional<rate_limit_fields> headers;
};

// A call's place in its pool's per-second schedule.
struct pace_outcome {
  bool go = false;           // wait until `slot`, then forward
  bool paced = false;        // a slot was taken (release it if the call gives up)
  pace_request request;
  std::chrono::system_clock::time_point slot;
  std::chrono::microseconds wait{0};
  refusal refused;           // !go: why not
  call_outcome refused_as = call_outcome::refused_speed;
};

class budget_gate {
 public:
  budget_gate(gateway& shared, executor ex);

  // What charging one call needs, worked out once per call.
  struct charge_context {
    std::chrono::system_clock::time_point now;
    const pool* p = nullptr;  // nullptr: the environment counts in no pool
    pool_day day;
    charge_request request;
    std::string lease_key;  // "pool|client"
    int hour = -1;          // the pool's local hour at `now`: the ticket's usage hour
  };
  charge_context context_for(const forward_plan& plan);

  // Charging a call: charge_now decides what needs no store call, with no coroutine frame (a
  // pool-less environment, a call from this loop's lease, a refusal the store gave within the
  // last second); on nullopt, charge_from_store asks the store with the same context.
  std::optional<budget_outcome> charge_now(const config& cfg, const forward_plan& plan,
                                           charge_context& ctx);
  awaitable<budget_outcome> charge_from_store(const config& cfg, const forward_plan& plan,
                                              charge_context ctx);

  // Whether pace() may make the call wait or refuse it (its pool has a per-second cap).
  static bool paces(const forward_plan& plan) {
    return plan.env->counted_in && plan.env->counted_in->per_second > 0;
  }

  // Takes the call's slot in its pool's schedule, or refuses it (429 PER_SECOND_THRESHOLD)
  // when the slot is more than max_wait (less `waited` already) away. Unpaced pools go at once.
  awaitable<pace_outcome> pace(const config& cfg, const forward_plan& plan,
                               std::chrono::milliseconds waited);

  // The call gave up before its slot (its script went away): free the slot.
  void release(const pace_outcome& paced);

  // The call never reached the upstream: give its charge back.
  void refund(const budget_ticket& ticket);

  // After the upstream's response header: X-Exl-Api-Remaining raises the pool's used count
  // to what Alma counted; an upstream DAILY_THRESHOLD marks the pool spent.
  void observe_upstream(const budget_ticket& ticket, std::string_view alma_remaining,
                        bool daily_threshold);

  // Counts a forwarded call in the usage lines and the pool's hourly counts. Calls are summed
  // here and written once the event loop has run what was ready, at most every
  // usage_flush_interval (one HINCRBY per distinct line and flush): after a quiet spell at
  // once, under load one write for many calls.
  void record_usage(const budget_ticket& ticket, const forward_plan& plan, unsigned status);
  // Writes the summed usage now (shutdown; return_leases calls it).
  void flush_usage();

  budget_store& store() { return *store_; }

  // Gives every leased, unspent call back to the store, and writes the summed usage (shutdown).
  void return_leases();

 private:
  bool spend_from_lease(const config& cfg, charge_context& ctx, budget_outcome& out);

  struct lease {
    pool_day_key where;
    budget_limits limits;   // as when it was granted
    budget_state counts;    // the store's counts after the grant (the whole block counted)
    std::int64_t left = 0;  // calls of the block not spent yet
    std::int64_t cap = lease_size::smallest_cap;  // the largest block it takes now
    std::chrono::steady_clock::time_point granted_at;  // of its last block
    std::chrono::steady_clock::time_point last_used;
    std::string client;
    // Set while a block for this lease is being charged; calls finding the lease empty wait
    // on it (cancelled when the block arrives, expiring after a second in any case).
    std::shared_ptr<steady_timer> arriving;
    std::shared_ptr<steady_timer> block_on_its_way(const executor& ex) {
      arriving = std::make_shared<steady_timer>(ex, std::chrono::seconds(1));
      return arriving;
    }
  };
  void block_arrived(const std::string& key, const std::shared_ptr<steady_timer>& arriving);
  // Adds `calls` (counted in the store, not spent) to a lease; see budget_gate.cpp.
  lease& add_to_lease(const std::string& key, const charge_request& request,
                      const charge_reply& reply, std::int64_t calls, bool renewal);
  void give_back_calls(const pool_day_key& where, const std::string& client, std::int64_t calls);
  std::int64_t lease_block(const std::string& key, const budget_limits& limits) const;
  static std::int64_t lease_block(const lease& l, const budget_limits& limits);
  void renew_early(const std::string& key, lease& l, const charge_request& request,
                   store_failure_mode mode);
  // Spends one call of `l` into `into`; false when the lease has none for this day and limits.
  bool take_from_lease(lease& l, const charge_context& ctx, std::optional<budget_ticket>& into);
  void give_back(lease& l);
  void start_lease_returns();

  void note_store_error(std::string_view what, store_failure_mode mode);
  // A store error that decided no call yet (a lease renewed in the background): the outage
  // is noted at once, not when the leased calls run out.
  void note_renewal_error(std::string_view what, store_failure_mode mode);
  void log_outage_begins(std::string_view what, std::string_view context, store_failure_mode mode);
  // A store error: noted (logged once per outage, counted); true when store_failure is open.
  bool fails_open(const config& cfg, const boost::system::error_code& ec);
  // A charge that took the pool's day across an alert threshold claims the alert in the
  // store (once over all instances) and, if it won, logs it.
  void check_alerts(const config& cfg, const pool& p, const budget_ticket& ticket);
  void note_store_ok();

  struct usage_line {
    std::string day, client, environment;
    area area_;
    access access_;
    int status_class;
    std::string pool;  // the hourly count's pool ("" outside any pool)
    int hour;
    auto tie() const {
      return std::tie(day, client, environment, area_, access_, status_class, pool, hour);
    }
    bool operator<(const usage_line& o) const { return tie() < o.tie(); }
  };
  void schedule_usage_flush();
  void run_usage_flush();
  static constexpr auto usage_flush_interval = std::chrono::milliseconds(100);
  budget_outcome refusal_of(outcome result, const budget_state& counts,
                            const budget_limits& limits, const pool_day& day) const;

  gateway& shared_;
  executor ex_;
  std::map<usage_line, std::int64_t> usage_pending_;
  // The line the last call was counted in (null once usage_pending_ is flushed): calls in a
  // row on one line add to it without building a line and searching the map.
  const usage_line* last_line_ = nullptr;
  std::int64_t* last_calls_ = nullptr;
  struct pool_clock {  // per pool: its day and local hour, worked out once, not per call
    pool_day_memo day;
    local_hour_memo hour;
  };
  std::unordered_map<std::string, pool_clock> clocks_;  // never erased
  pool_clock& clock_of(const pool& p);
  std::string_view last_clock_name_;  // the key of last_clock_ in clocks_
  pool_clock* last_clock_ = nullptr;
  bool usage_flush_scheduled_ = false;
  std::chrono::steady_clock::time_point last_usage_flush_{};
  steady_timer usage_timer_;
  std::unique_ptr<budget_store> store_;
  std::unordered_set<std::string> alerts_asked_;  // "pool|day|threshold"
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> last_reconcile_;
  std::unordered_map<std::string, lease> leases_;  // "pool|client"
  // The store's last refusal of a pool and client, answered from here for a second: a
  // script hammering a spent quota costs no store call per call.
  struct refusal_memo {
    std::string day;
    budget_limits limits;
    outcome result;
    budget_state counts;
    std::chrono::steady_clock::time_point until;
  };
  std::unordered_map<std::string, refusal_memo> refused_;  // "pool|client"
  bool lease_timer_running_ = false;
};

// The day label for usage outside any pool: the UTC date.
std::string utc_day_label(std::chrono::system_clock::time_point now);

}  // namespace almagate
