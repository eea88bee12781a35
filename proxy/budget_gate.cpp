#include "proxy/budget_gate.hpp"

#include <spdlog/fmt/fmt.h>

#include <charconv>
#include <cmath>

#include "policy/day.hpp"

namespace almagate {

std::string utc_day_label(std::chrono::system_clock::time_point now) {
  auto day = std::chrono::floor<std::chrono::days>(now);
  std::chrono::year_month_day ymd{day};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

namespace {
refusal store_unavailable() {
  return {503, "GENERAL_ERROR",
          "The gateway cannot reach its budget store; the call was not forwarded. Try again "
          "shortly.",
          5};
}
}  // namespace

bool budget_gate::fails_open(const config& cfg, const boost::system::error_code& ec) {
  note_store_error(ec.message(), cfg.store_failure);
  return cfg.store_failure == store_failure_mode::open;
}

budget_gate::budget_gate(gateway& shared, executor ex)
    : shared_(shared), ex_(ex), store_(shared.make_store(ex)) {}

awaitable<budget_outcome> budget_gate::charge(const config& cfg, const forward_plan& plan) {
  budget_outcome out;
  auto now = std::chrono::system_clock::now();
  const pool* p = plan.env->counted_in;
  if (!p) {
    out.ticket = budget_ticket{};
    out.ticket->usage_day = utc_day_label(now);
    out.ticket->client = plan.who->id;
    co_return out;
  }
  const date::time_zone* zone = shared_.zone_of(*p);
  pool_day day = pool_day_at(p->reset_time, *zone, now);

  charge_request request;
  request.where = key_for(*p, day);
  request.client = plan.who->id;
  request.limits = {p->daily_limit, p->reserve_for(plan.who->tier_), shared_.quota_of(*plan.who)};
  request.retry_after = day.until_reset;

  // A call of a leased block costs no store round trip.
  std::string lease_key = p->name + '|' + plan.who->id;
  if (auto ticket = take_from_lease(lease_key, request, day)) {
    check_alerts(cfg, *p, *ticket);
    out.ticket = std::move(ticket);
    co_return out;
  }
  request.max_calls = lease_block(lease_key, request.limits);

  auto reply = co_await store_->charge(request);
  if (!reply) {
    if (fails_open(cfg, reply.error())) {
      out.ticket = budget_ticket{};
      out.ticket->usage_day = day.label;
      out.ticket->client = plan.who->id;
      co_return out;
    }
    out.refused_as = call_outcome::refused_store_failure;
    out.refused = store_unavailable();
    co_return out;
  }
  if (reply->counted_locally)
    note_store_error("counting locally within this instance's share", store_failure_mode::share);
  else
    note_store_ok();
  auto fields = rate_limit_fields_for(reply->counts, request.limits, day.until_reset);
  if (reply->result != outcome::charged) {
    out.refused_as = reply->result == outcome::quota_spent  ? call_outcome::refused_quota
                     : reply->result == outcome::pool_spent ? call_outcome::refused_pool
                                                            : call_outcome::refused_reserve;
    out.refused = {429, "DAILY_THRESHOLD", std::string(outcome_message(reply->result)),
                   static_cast<unsigned>(day.until_reset.count())};
    out.headers = std::move(fields);
    co_return out;
  }
  // The block's other calls are counted in the store but not spent yet.
  budget_state spent = reply->counts;
  spent.pool_used -= reply->granted - 1;
  spent.client_used -= reply->granted - 1;
  if (!reply->counted_locally) {
    lease& l = leases_[lease_key];
    l.where = request.where;
    l.limits = request.limits;
    l.counts = reply->counts;
    l.left = reply->granted - 1;
    l.last_used = std::chrono::steady_clock::now();
    l.client = request.client;
    if (l.left > 0) start_lease_returns();
  }
  budget_ticket ticket;
  ticket.counted = true;
  ticket.where = std::move(request.where);
  ticket.client = plan.who->id;
  ticket.limits = request.limits;
  ticket.counts = spent;
  ticket.until_reset = day.until_reset;
  ticket.usage_day = day.label;
  ticket.headers = rate_limit_fields_for(spent, request.limits, day.until_reset);
  check_alerts(cfg, *p, ticket);
  out.ticket = std::move(ticket);
  co_return out;
}

// The schedule runs at 97% of the cap: r slots then span 1.03 s, so jitter of up to 30 ms
// between the gateway and Alma (scheduling, TLS, the network) cannot put r + 1 calls into one
// of Alma's seconds. Measured on a loaded 2-core machine (bench/pacing): at 99% 4 of 937 calls
// arrived too close, at 98% 2 of 809, at 97% none.
constexpr double pacing_headroom = 0.97;

// How far ahead a tier may book: core up to max_wait, standard half of it, batch a twentieth.
// Under a flood the schedule beyond the batch horizon stays free for higher tiers, so a core
// call waits at most about max_wait / 20 behind batch bookings; batch is told to come back
// (429 PER_SECOND_THRESHOLD, Retry-After) instead of queueing far ahead.
std::chrono::milliseconds tier_horizon(std::chrono::milliseconds max_wait, tier t) {
  switch (t) {
    case tier::core: return max_wait;
    case tier::standard: return max_wait / 2;
    case tier::batch: return max_wait / 20;
  }
  return max_wait;
}

awaitable<pace_outcome> budget_gate::pace(const config& cfg, const forward_plan& plan,
                                          std::chrono::milliseconds waited) {
  pace_outcome out;
  const pool* p = plan.env->counted_in;
  if (!p || p->per_second <= 0) {
    out.go = true;
    co_return out;
  }
  out.request = pace_request{p->name,
                             p->per_second * pacing_headroom,
                             plan.who->id,
                             plan.who->per_second,
                             plan.who->tier_,
                             std::max(std::chrono::milliseconds(0),
                                      tier_horizon(p->max_wait, plan.who->tier_) - waited),
                             std::chrono::system_clock::now()};
  auto reply = co_await store_->reserve_slot(out.request);
  if (!reply) {
    out.go = fails_open(cfg, reply.error());
    if (!out.go) {
      out.refused_as = call_outcome::refused_store_failure;
      out.refused = store_unavailable();
    }
    co_return out;
  }
  if (!reply->granted) {
    auto seconds = std::chrono::ceil<std::chrono::seconds>(reply->retry_after);
    out.refused = {429, "PER_SECOND_THRESHOLD",
                   fmt::format("Calls in this environment are paced to {:g} a second; this call "
                               "would have waited longer than {} ms for its turn.",
                               p->per_second, p->max_wait.count()),
                   static_cast<unsigned>(std::max<std::int64_t>(1, seconds.count()))};
    co_return out;
  }
  out.go = true;
  out.paced = true;
  out.slot = reply->slot;
  out.wait = reply->wait;
  shared_.metrics.pacing_wait_seconds(p->name).observe(
      std::chrono::duration<double>(reply->wait).count());
  co_return out;
}

// Leases: far from every limit, an event loop charges a block of calls in one store call and
// spends it locally. Blocks shrink as a limit nears: remaining / 64, at most 64, so within
// 4,096 calls of a limit every call is charged on its own and the counts stay exact; what a
// block holds is already counted in the store, so no limit is ever passed. Unused calls go
// back to the store after two idle seconds, when the quota or the day changes, and on
// shutdown; an instance that dies loses at most its open blocks (counted, never spent).
constexpr std::int64_t max_lease = 64;

std::int64_t budget_gate::lease_block(const std::string& key, const budget_limits& limits) const {
  auto it = leases_.find(key);
  if (it == leases_.end()) return 1;  // first call: its reply tells how far the limits are
  std::int64_t remaining = remaining_for_client(it->second.counts, limits);
  return std::clamp<std::int64_t>(remaining / max_lease, 1, max_lease);
}

std::optional<budget_ticket> budget_gate::take_from_lease(const std::string& key,
                                                          const charge_request& request,
                                                          const pool_day& day) {
  auto it = leases_.find(key);
  if (it == leases_.end()) return std::nullopt;
  lease& l = it->second;
  bool same = l.where.day == request.where.day && l.limits.daily_limit == request.limits.daily_limit &&
              l.limits.reserve == request.limits.reserve && l.limits.quota == request.limits.quota;
  if (!same) {
    give_back(l);
    l.left = 0;
  }
  if (l.left <= 0) return std::nullopt;  // keep the entry: its counts size the next block
  --l.left;
  l.last_used = std::chrono::steady_clock::now();
  budget_ticket ticket;
  ticket.counted = true;
  ticket.where = l.where;
  ticket.client = request.client;
  ticket.limits = l.limits;
  // The store counted the whole block; the calls still in it are not spent yet.
  ticket.counts = l.counts;
  ticket.counts.pool_used -= l.left;
  ticket.counts.client_used -= l.left;
  ticket.until_reset = day.until_reset;
  ticket.usage_day = day.label;
  ticket.headers = rate_limit_fields_for(ticket.counts, ticket.limits, day.until_reset);
  return ticket;
}

void budget_gate::give_back(lease& l) {
  if (l.left <= 0) return;
  shared_.pending_store_writes.fetch_add(1);
  net::co_spawn(
      ex_,
      [](gateway& shared, budget_store& store, refund_request request) -> awaitable<void> {
        co_await store.refund(std::move(request));
        shared.pending_store_writes.fetch_sub(1);
      }(shared_, *store_, refund_request{l.where, l.client, l.left}),
      net::detached);
  l.left = 0;
}

void budget_gate::return_leases() {
  for (auto& [key, l] : leases_) give_back(l);
  leases_.clear();
}

void budget_gate::start_lease_returns() {
  if (lease_timer_running_) return;
  lease_timer_running_ = true;
  net::co_spawn(
      ex_,
      [](budget_gate& self) -> awaitable<void> {
        steady_timer timer(co_await net::this_coro::executor);
        for (;;) {
          timer.expires_after(std::chrono::seconds(1));
          auto [ec] = co_await timer.async_wait(use_tuple);
          if (ec) co_return;
          auto idle_since = std::chrono::steady_clock::now() - std::chrono::seconds(2);
          for (auto& [key, l] : self.leases_)
            if (l.left > 0 && l.last_used < idle_since) self.give_back(l);
        }
      }(*this),
      net::detached);
}

void budget_gate::check_alerts(const config& cfg, const pool& p, const budget_ticket& ticket) {
  std::int64_t used = ticket.counts.pool_used;
  for (double threshold : cfg.alerts) {
    auto mark = static_cast<std::int64_t>(std::ceil(threshold * static_cast<double>(p.daily_limit)));
    if (used < mark) continue;
    // Each event loop asks the store once per pool-day and threshold; the store says who won.
    if (alerts_asked_.size() > 256) alerts_asked_.clear();  // old days
    if (!alerts_asked_.insert(ticket.where.pool + '|' + ticket.where.day + '|' +
                              std::to_string(threshold))
             .second)
      continue;
    net::co_spawn(
        ex_,
        [](gateway& shared, budget_store& store, pool_day_key where, double threshold,
           std::int64_t used, std::int64_t limit) -> awaitable<void> {
          auto won = co_await store.claim_alert(where, threshold);
          if (!won || !*won) co_return;
          auto percent = fmt::format("{:g}", threshold * 100);
          shared.log().warn("alert: pool {} has used {}% of its day ({} of {} calls, day {})",
                            where.pool, percent, used, limit, where.day);
          shared.metrics.pool_alerts_total(where.pool, fmt::format("{:g}", threshold)).inc();
        }(shared_, *store_, ticket.where, threshold, used, p.daily_limit),
        net::detached);
  }
}

void budget_gate::release(const pace_outcome& paced) {
  if (!paced.paced) return;
  net::co_spawn(
      ex_,
      [](budget_store& store, pace_request request,
         std::chrono::system_clock::time_point slot) -> awaitable<void> {
        co_await store.release_slot(std::move(request), slot);
      }(*store_, paced.request, paced.slot),
      net::detached);
}

void budget_gate::refund(const budget_ticket& ticket) {
  if (!ticket.counted) return;
  net::co_spawn(
      ex_,
      [](budget_store& store, refund_request request) -> awaitable<void> {
        co_await store.refund(std::move(request));
      }(*store_, refund_request{ticket.where, ticket.client, 1}),
      net::detached);
}

void budget_gate::observe_upstream(const budget_ticket& ticket, std::string_view alma_remaining,
                                   bool daily_threshold) {
  if (ticket.where.pool.empty()) return;
  if (daily_threshold) {
    // Blocks of a spent pool must not be spent.
    std::erase_if(leases_, [&](const auto& kv) { return kv.second.where.pool == ticket.where.pool; });
    shared_.log().warn("pool {}: Alma answered DAILY_THRESHOLD; the pool is spent until its reset",
                       ticket.where.pool);
    net::co_spawn(
        ex_,
        [](budget_store& store, pool_day_key where) -> awaitable<void> {
          co_await store.mark_pool_spent(std::move(where));
        }(*store_, ticket.where),
        net::detached);
    return;
  }
  std::int64_t remaining = 0;
  auto [ptr, ec] =
      std::from_chars(alma_remaining.data(), alma_remaining.data() + alma_remaining.size(), remaining);
  if (alma_remaining.empty() || ec != std::errc{} || remaining < 0) return;
  // Only worth a store call when Alma counts more than we do, and at most once a second per
  // pool and event loop: with traffic outside the gateway Alma is ahead on every response.
  if (ticket.limits.daily_limit - remaining <= ticket.counts.pool_used) return;
  auto now = std::chrono::steady_clock::now();
  auto& last = last_reconcile_[ticket.where.pool];
  if (now - last < std::chrono::seconds(1)) return;
  last = now;
  net::co_spawn(
      ex_,
      [](budget_store& store, pool_day_key where, std::int64_t limit,
         std::int64_t remaining) -> awaitable<void> {
        co_await store.reconcile_remaining(std::move(where), limit, remaining);
      }(*store_, ticket.where, ticket.limits.daily_limit, remaining),
      net::detached);
}

void budget_gate::record_usage(const budget_ticket& ticket, const forward_plan& plan,
                               unsigned status) {
  usage_record record;
  record.day = ticket.usage_day;
  record.client = plan.who->id;
  record.environment = plan.env->name;
  record.area_ = plan.area_;
  record.access_ = plan.needed;
  record.status_class = static_cast<int>(status / 100);
  store_->record_usage(std::move(record));
  if (const pool* p = plan.env->counted_in)
    store_->record_hourly(p->name, ticket.usage_day,
                          local_hour(*shared_.zone_of(*p), std::chrono::system_clock::now()), 1);
}

void budget_gate::note_store_error(std::string_view what, store_failure_mode mode) {
  shared_.metrics.store_errors_total.inc();
  shared_.metrics.store_failure_decisions_total(mode).inc();
  if (shared_.store_down.exchange(true)) return;
  std::string_view action = mode == store_failure_mode::open    ? "forwarding calls uncounted"
                            : mode == store_failure_mode::share ? "counting calls locally"
                                                                : "refusing calls with 503";
  std::string_view name = mode == store_failure_mode::open    ? "open"
                          : mode == store_failure_mode::share ? "share"
                                                              : "closed";
  shared_.log().error("budget store outage begins: {}; store_failure={}: {}", what, name, action);
}

void budget_gate::note_store_ok() {
  if (shared_.store_down.load(std::memory_order_relaxed) && shared_.store_down.exchange(false))
    shared_.log().info("budget store outage over: the store answers again");
}

}  // namespace almagate
