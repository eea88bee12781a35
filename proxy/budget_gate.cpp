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
// How long a refusal from the store stands for the same pool, client, day and limits. A
// quota raised, a new day or a changed config ask the store at once; calls given back by
// another instance (a refund, a returned lease) are seen within this time.
constexpr auto refusal_memory = std::chrono::seconds(1);

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
    : shared_(shared), ex_(ex), usage_timer_(ex), store_(shared.make_store(ex)) {}

budget_gate::charge_context budget_gate::context_for(const forward_plan& plan) {
  charge_context ctx;
  ctx.now = std::chrono::system_clock::now();
  ctx.p = plan.env->counted_in;
  if (!ctx.p) return ctx;
  const pool& p = *ctx.p;
  pool_clock& clock = clock_of(p);
  const date::time_zone& zone = *shared_.zone_of(p);
  ctx.day = clock.day.at(p.reset_time, zone, ctx.now);
  ctx.hour = clock.hour.at(zone, ctx.now);
  ctx.request.where = key_for(p, ctx.day);
  ctx.request.client = plan.who->id;
  ctx.request.limits = {p.daily_limit, p.reserve_for(plan.who->tier_), shared_.quota_of(*plan.who)};
  ctx.request.retry_after = ctx.day.until_reset;
  // One allocation, of the exact size (the key is usually longer than a short string).
  ctx.lease_key.reserve(p.name.size() + 1 + plan.who->id.size());
  ctx.lease_key.append(p.name).append(1, '|').append(plan.who->id);
  return ctx;
}

budget_gate::pool_clock& budget_gate::clock_of(const pool& p) {
  // Calls in a row are mostly of one pool: its clock is kept at hand (map nodes never move).
  if (last_clock_ && last_clock_name_ == p.name) return *last_clock_;
  auto it = clocks_.try_emplace(p.name).first;
  last_clock_name_ = it->first;
  last_clock_ = &it->second;
  return *last_clock_;
}

bool budget_gate::spend_from_lease(const config& cfg, charge_context& ctx, budget_outcome& out) {
  auto it = leases_.find(ctx.lease_key);
  if (it == leases_.end() || !take_from_lease(it->second, ctx, out.ticket)) return false;
  renew_early(it->first, it->second, ctx.request, cfg.store_failure);
  check_alerts(cfg, *ctx.p, *out.ticket);
  return true;
}

std::optional<budget_outcome> budget_gate::charge_now(const config& cfg, const forward_plan& plan,
                                                      charge_context& ctx) {
  // Built in place and returned as it is: a budget_outcome is costly to move.
  std::optional<budget_outcome> result(std::in_place);
  budget_outcome& out = *result;
  if (!ctx.p) {
    out.ticket.emplace();
    out.ticket->usage_day = utc_day_label(ctx.now);
    out.ticket->client = plan.who->id;
    return result;
  }
  // A call of a leased block costs no store round trip.
  if (spend_from_lease(cfg, ctx, out)) return result;
  if (auto memo = refused_.find(ctx.lease_key); memo != refused_.end()) {
    const refusal_memo& m = memo->second;
    if (m.day == ctx.day.label && m.limits == ctx.request.limits &&
        std::chrono::steady_clock::now() < m.until) {
      out = refusal_of(m.result, m.counts, m.limits, ctx.day);
      return result;
    }
    refused_.erase(memo);
  }
  // Every return names `result`, so that it is built in the caller's place.
  result.reset();
  return result;
}

awaitable<budget_outcome> budget_gate::charge_from_store(const config& cfg,
                                                         const forward_plan& plan,
                                                         charge_context ctx) {
  budget_outcome out;
  const pool* p = ctx.p;
  const pool_day& day = ctx.day;
  charge_request& request = ctx.request;
  const std::string& lease_key = ctx.lease_key;
  // A block is on its way for this lease: wait for it (at most a second) rather than go to
  // the store alone; a burst of calls finding the lease empty must not each take a block.
  if (auto it = leases_.find(lease_key); it != leases_.end() && it->second.arriving) {
    auto arriving = it->second.arriving;
    co_await arriving->async_wait(use_tuple);
    if (spend_from_lease(cfg, ctx, out)) co_return out;
  }
  auto open_lease = leases_.find(lease_key);
  bool block_in_flight = open_lease != leases_.end() && open_lease->second.arriving;
  request.max_calls = block_in_flight ? 1 : lease_block(lease_key, request.limits);
  std::shared_ptr<steady_timer> arriving;
  if (open_lease != leases_.end() && request.max_calls > 1)
    arriving = open_lease->second.block_on_its_way(ex_);

  auto reply = co_await store_->charge(request);
  if (arriving) block_arrived(lease_key, arriving);
  if (!reply) {
    if (fails_open(cfg, reply.error())) {
      out.ticket = budget_ticket{};
      out.ticket->usage_day = day.label;
      out.ticket->usage_hour = ctx.hour;
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
  if (reply->result != outcome::charged) {
    if (!reply->counted_locally) {
      if (refused_.size() > 4096) refused_.clear();
      refused_[lease_key] = refusal_memo{day.label, request.limits, reply->result, reply->counts,
                                         std::chrono::steady_clock::now() + refusal_memory};
    }
    co_return refusal_of(reply->result, reply->counts, request.limits, day);
  }
  // The block's other calls are counted in the store but not spent yet.
  budget_state spent = reply->counts;
  spent.pool_used -= reply->granted - 1;
  spent.client_used -= reply->granted - 1;
  if (!reply->counted_locally) {
    lease& l = add_to_lease(lease_key, request, *reply, reply->granted - 1, false);
    // Other calls' blocks may still be open beside this one: spent is what none of them holds.
    spent = l.counts;
    spent.pool_used -= l.left;
    spent.client_used -= l.left;
  }
  budget_ticket ticket;
  ticket.counted = true;
  ticket.leased = !reply->counted_locally;
  ticket.where = std::move(request.where);
  ticket.client = plan.who->id;
  ticket.limits = request.limits;
  ticket.counts = spent;
  ticket.until_reset = day.until_reset;
  ticket.usage_day = day.label;
  ticket.usage_hour = ctx.hour;
  ticket.headers = rate_limit_fields_for(spent, request.limits, day.until_reset);
  check_alerts(cfg, *p, ticket);
  out.ticket = std::move(ticket);
  co_return out;
}

budget_outcome budget_gate::refusal_of(outcome result, const budget_state& counts,
                                       const budget_limits& limits, const pool_day& day) const {
  budget_outcome out;
  out.refused_as = result == outcome::quota_spent  ? call_outcome::refused_quota
                   : result == outcome::pool_spent ? call_outcome::refused_pool
                                                   : call_outcome::refused_reserve;
  out.refused = {429, "DAILY_THRESHOLD", std::string(outcome_message(result)),
                 static_cast<unsigned>(day.until_reset.count())};
  out.headers = rate_limit_fields_for(counts, limits, day.until_reset);
  return out;
}

// The schedule runs at the pool's pacing_headroom share of the cap (0.97 by default): r slots
// then span 1.03 s, so jitter of up to 30 ms between the gateway and Alma (scheduling, TLS, the
// network) cannot put r + 1 calls into one of Alma's seconds. Measured on a loaded 2-core
// machine (bench/pacing): at 99% 4 of 937 calls arrived too close, at 98% 2 of 809, at 97%
// 0-1 of ~800, and 0 in each of five runs once the hot path was leaner.

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
  if (!paces(plan)) {
    out.go = true;
    co_return out;
  }
  const pool* p = plan.env->counted_in;
  out.request = pace_request{p->name,
                             p->per_second * p->pacing_headroom,
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
// spends it locally; policy/lease_size.hpp says how large a block is (a 64th of what remains,
// up to a cap that follows the loop's pace, 64 to 1,024 calls). What a block holds is
// already counted in the store, so no limit is ever passed. Unused calls go back to the store
// after two idle seconds, when the quota or the day changes, and on shutdown; an instance
// that dies loses at most its open blocks (counted, never spent).
std::int64_t budget_gate::lease_block(const std::string& key, const budget_limits& limits) const {
  auto it = leases_.find(key);
  if (it == leases_.end()) return 1;  // first call: its reply tells how far the limits are
  return lease_block(it->second, limits);
}

std::int64_t budget_gate::lease_block(const lease& l, const budget_limits& limits) {
  return lease_size::block(remaining_for_client(l.counts, limits), l.cap);
}

budget_gate::lease& budget_gate::add_to_lease(const std::string& key,
                                              const charge_request& request,
                                              const charge_reply& reply, std::int64_t calls,
                                              bool renewal) {
  lease& l = leases_[key];
  bool same = l.where.pool == request.where.pool && l.where.day == request.where.day &&
              l.limits == request.limits;
  if (!same && renewal && (l.left > 0 || !l.where.pool.empty())) {
    // A renewal that crossed a change of day or limits: its calls go back, the lease stays.
    give_back_calls(request.where, request.client, calls);
    return l;
  }
  if (!same) {
    give_back(l);
    l.counts = {};
  }
  l.where = request.where;
  l.limits = request.limits;
  l.client = request.client;
  // Replies on this loop's one store connection arrive in the order the store ran them: the
  // latest counts include every earlier block, and every refund sent before (a refunded call
  // of a block lowers them, so they are taken as they are, not as a maximum).
  l.counts = reply.counts;
  l.left += calls;
  const auto now = std::chrono::steady_clock::now();
  // A renewal (the lease in use, half spent) tells how long the last block lasted: that sizes
  // the next. (A first block, asked for by a call, says nothing of the pace.)
  if (renewal && same && l.granted_at != std::chrono::steady_clock::time_point{})
    l.cap = lease_size::next_cap(l.cap, now - l.granted_at);
  l.granted_at = now;
  l.last_used = now;
  if (l.left > 0) start_lease_returns();
  return l;
}

// Far from the limits, a block is renewed in the background once half of it is
// spent, so that calls under steady load rarely wait for the store. Only one renewal per
// lease at a time; blocks under 8 calls (near a limit) are never taken ahead of need.
void budget_gate::renew_early(const std::string& key, lease& l, const charge_request& request,
                              store_failure_mode mode) {
  const std::int64_t block = lease_block(l, request.limits);
  if (l.arriving || block < 8 || l.left > block / 2) return;
  charge_request renewal = request;
  renewal.min_calls = 1;
  renewal.max_calls = block;
  net::co_spawn(
      ex_,
      [](budget_gate& self, std::string key, charge_request renewal,
         std::shared_ptr<steady_timer> arriving, store_failure_mode mode) -> awaitable<void> {
        auto reply = co_await self.store_->charge(renewal);
        if (!reply) self.note_renewal_error(reply.error().message(), mode);
        else if (reply->counted_locally)
          self.note_renewal_error("counting locally within this instance's share", mode);
        else self.note_store_ok();
        bool charged = reply && reply->result == outcome::charged && !reply->counted_locally;
        if (reply && reply->result == outcome::charged && reply->counted_locally) {
          // Counted locally (store_failure: share) is never leased: the call goes back.
          self.give_back_calls(renewal.where, renewal.client, reply->granted);
        } else if (!self.leases_.contains(key)) {
          // The pool was found spent meanwhile (its leases dropped): nothing to add to.
          if (charged) self.give_back_calls(renewal.where, renewal.client, reply->granted);
        } else if (charged) {
          self.add_to_lease(key, renewal, *reply, reply->granted, true);
        }
        self.block_arrived(key, arriving);
      }(*this, key, std::move(renewal), l.block_on_its_way(ex_), mode),
      net::detached);
}

// Wakes the calls waiting for a block (the lease may have gone meanwhile: they still wake).
void budget_gate::block_arrived(const std::string& key,
                                const std::shared_ptr<steady_timer>& arriving) {
  if (auto it = leases_.find(key); it != leases_.end() && it->second.arriving == arriving)
    it->second.arriving.reset();
  arriving->cancel();
}

bool budget_gate::take_from_lease(lease& l, const charge_context& ctx,
                                  std::optional<budget_ticket>& into) {
  const charge_request& request = ctx.request;
  const pool_day& day = ctx.day;
  bool same = l.where.day == request.where.day && l.limits == request.limits;
  if (!same) {
    give_back(l);
    l.left = 0;
  }
  if (l.left <= 0) return false;  // keep the entry: its counts size the next block
  --l.left;
  l.last_used = std::chrono::steady_clock::now();
  budget_ticket& ticket = into.emplace();
  ticket.counted = true;
  ticket.leased = true;
  ticket.where = l.where;
  ticket.client = request.client;
  ticket.limits = l.limits;
  // The store counted the whole block; the calls still in it are not spent yet.
  ticket.counts = l.counts;
  ticket.counts.pool_used -= l.left;
  ticket.counts.client_used -= l.left;
  ticket.until_reset = day.until_reset;
  ticket.usage_day = day.label;
  ticket.usage_hour = ctx.hour;
  ticket.headers = rate_limit_fields_for(ticket.counts, ticket.limits, day.until_reset);
  return true;
}

void budget_gate::give_back(lease& l) {
  if (l.left <= 0) return;
  give_back_calls(l.where, l.client, l.left);
  l.left = 0;
}

void budget_gate::give_back_calls(const pool_day_key& where, const std::string& client,
                                  std::int64_t calls) {
  if (calls <= 0) return;
  shared_.pending_store_writes.fetch_add(1);
  net::co_spawn(
      ex_,
      [](gateway& shared, budget_store& store, refund_request request) -> awaitable<void> {
        co_await store.refund(std::move(request));
        shared.pending_store_writes.fetch_sub(1);
      }(shared_, *store_, refund_request{where, client, calls}),
      net::detached);
}

void budget_gate::return_leases() {
  for (auto& [key, l] : leases_) give_back(l);
  leases_.clear();
  flush_usage();
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
  if (ticket.leased) {
    // The lease counted this call in the store: it goes back to the lease (spent by the next
    // call, or returned with the rest), which keeps the lease's counts and headers exact.
    auto it = leases_.find(ticket.where.pool + '|' + ticket.client);
    if (it != leases_.end() && it->second.where.day == ticket.where.day &&
        it->second.limits == ticket.limits) {
      ++it->second.left;
      it->second.last_used = std::chrono::steady_clock::now();
      start_lease_returns();
      return;
    }
  }
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
  const pool* p = plan.env->counted_in;
  const int status_class = static_cast<int>(status / 100);
  int hour = -1;
  if (p)
    hour = ticket.usage_hour >= 0
               ? ticket.usage_hour
               : clock_of(*p).hour.at(*shared_.zone_of(*p), std::chrono::system_clock::now());
  const std::string_view pool_name = p ? std::string_view(p->name) : std::string_view{};
  if (last_line_) {
    const usage_line& last = *last_line_;
    if (last.hour == hour && last.status_class == status_class && last.area_ == plan.area_ &&
        last.access_ == plan.needed && last.day == ticket.usage_day &&
        last.client == plan.who->id && last.environment == plan.env->name &&
        last.pool == pool_name) {
      ++*last_calls_;
      schedule_usage_flush();
      return;
    }
  }
  usage_line line{ticket.usage_day,
                  plan.who->id,
                  plan.env->name,
                  plan.area_,
                  plan.needed,
                  status_class,
                  std::string(pool_name),
                  hour};
  auto [it, added] = usage_pending_.try_emplace(std::move(line), 0);
  ++it->second;
  last_line_ = &it->first;
  last_calls_ = &it->second;
  schedule_usage_flush();
}

// The flush runs once the event loop has run what was ready, and at most once per
// usage_flush_interval: a call after a quiet spell goes out at once (as visible as before
// batching); under load one write carries up to a tenth of a second of calls.
void budget_gate::schedule_usage_flush() {
  if (usage_flush_scheduled_) return;
  usage_flush_scheduled_ = true;
  const auto due = last_usage_flush_ + usage_flush_interval;
  if (std::chrono::steady_clock::now() >= due) {
    net::post(ex_, [this] { run_usage_flush(); });
    return;
  }
  usage_timer_.expires_at(due);
  usage_timer_.async_wait([this](error_code ec) {
    if (!ec) run_usage_flush();
  });
}

void budget_gate::run_usage_flush() {
  usage_flush_scheduled_ = false;
  last_usage_flush_ = std::chrono::steady_clock::now();
  flush_usage();
}

void budget_gate::flush_usage() {
  std::map<std::tuple<std::string, std::string, int>, std::int64_t> hourly;
  for (auto& [line, calls] : usage_pending_) {
    usage_record record;
    record.day = line.day;
    record.client = line.client;
    record.environment = line.environment;
    record.area_ = line.area_;
    record.access_ = line.access_;
    record.status_class = line.status_class;
    record.calls = calls;
    store_->record_usage(std::move(record));
    if (!line.pool.empty()) hourly[{line.pool, line.day, line.hour}] += calls;
  }
  usage_pending_.clear();
  last_line_ = nullptr;
  last_calls_ = nullptr;
  for (auto& [key, calls] : hourly)
    store_->record_hourly(std::get<0>(key), std::get<1>(key), std::get<2>(key), calls);
}

void budget_gate::note_store_error(std::string_view what, store_failure_mode mode) {
  shared_.metrics.store_errors_total.inc();
  shared_.metrics.store_failure_decisions_total(mode).inc();
  if (!shared_.store_down.exchange(true)) log_outage_begins(what, "", mode);
}

void budget_gate::note_renewal_error(std::string_view what, store_failure_mode mode) {
  shared_.metrics.store_errors_total.inc();
  if (!shared_.store_down.exchange(true))
    log_outage_begins(what, " (renewing a lease: its calls already leased go on first)", mode);
}

void budget_gate::log_outage_begins(std::string_view what, std::string_view context,
                                    store_failure_mode mode) {
  std::string_view action = mode == store_failure_mode::open    ? "forwarding calls uncounted"
                            : mode == store_failure_mode::share ? "counting calls locally"
                                                                : "refusing calls with 503";
  std::string_view name = mode == store_failure_mode::open    ? "open"
                          : mode == store_failure_mode::share ? "share"
                                                              : "closed";
  shared_.log().error("budget store outage begins: {}{}; store_failure={}: {}", what, context,
                      name, action);
}

void budget_gate::note_store_ok() {
  if (shared_.store_down.load(std::memory_order_relaxed) && shared_.store_down.exchange(false))
    shared_.log().info("budget store outage over: the store answers again");
}

}  // namespace almagate
