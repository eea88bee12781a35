#pragma once
// Charges each forwarded call to the shared budget before it goes upstream, and carries the
// store's answers back: refusals, refunds, reconciliation with Alma's own count, usage lines.
// One per event loop, like its store.

#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "policy/budget_store.hpp"
#include "policy/decision.hpp"
#include "policy/rate_limit_headers.hpp"
#include "proxy/gateway.hpp"
#include "proxy/metrics.hpp"

namespace almagate {

// What a charged call carries until its response has gone back.
struct budget_ticket {
  bool counted = false;  // charged in the store (false: pool-less environment or failed open)
  pool_day_key where;
  std::string client;
  budget_limits limits;
  budget_state counts;
  std::chrono::seconds until_reset{0};
  std::string usage_day;
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

  awaitable<budget_outcome> charge(const config& cfg, const forward_plan& plan);

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

  void record_usage(const budget_ticket& ticket, const forward_plan& plan, unsigned status);

  budget_store& store() { return *store_; }

  // Gives every leased, unspent call back to the store (shutdown).
  void return_leases();

 private:
  struct lease {
    pool_day_key where;
    budget_limits limits;   // as when it was granted
    budget_state counts;    // the store's counts after the grant (the whole block counted)
    std::int64_t left = 0;  // calls of the block not spent yet
    std::chrono::steady_clock::time_point last_used;
    std::string client;
  };
  std::int64_t lease_block(const std::string& key, const budget_limits& limits) const;
  std::optional<budget_ticket> take_from_lease(const std::string& key,
                                               const charge_request& request,
                                               const pool_day& day);
  void give_back(lease& l);
  void start_lease_returns();

  void note_store_error(std::string_view what, store_failure_mode mode);
  // A store error: noted (logged once per outage, counted); true when store_failure is open.
  bool fails_open(const config& cfg, const boost::system::error_code& ec);
  // A charge that took the pool's day across an alert threshold claims the alert in the
  // store (once over all instances) and, if it won, logs it.
  void check_alerts(const config& cfg, const pool& p, const budget_ticket& ticket);
  void note_store_ok();

  gateway& shared_;
  executor ex_;
  std::unique_ptr<budget_store> store_;
  std::unordered_set<std::string> alerts_asked_;  // "pool|day|threshold"
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> last_reconcile_;
  std::unordered_map<std::string, lease> leases_;  // "pool|client"
  bool lease_timer_running_ = false;
};

// The day label for usage outside any pool: the UTC date.
std::string utc_day_label(std::chrono::system_clock::time_point now);

}  // namespace almagate
