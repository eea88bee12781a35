#include "proxy/admin_gateway.hpp"

#include <date/tz.h>

#include <cstdio>

#include "policy/day.hpp"

namespace almagate {

namespace {

admin_error store_unavailable() {
  return {503, "GENERAL_ERROR", "The budget store cannot be reached."};
}

// The pool-day that started on `date` (YYYY-MM-DD, validated by the endpoint): the day that
// holds local noon after that date's reset.
pool_day day_for_date(const pool& p, const date::time_zone& zone, const std::string& day) {
  int y = 0;
  unsigned m = 0, d = 0;
  std::sscanf(day.c_str(), "%d-%u-%u", &y, &m, &d);
  auto local = date::local_days{date::year{y} / date::month{m} / date::day{d}} + p.reset_time +
               std::chrono::hours(12);
  auto instant = zone.to_sys(local, date::choose::earliest);
  return pool_day_at(p.reset_time, zone, instant);
}

pool_day_key key_for_date(const pool& p, const date::time_zone& zone, const std::string& day) {
  return key_for(p, day_for_date(p, zone, day));
}

std::string utc_text(std::chrono::sys_seconds t) { return date::format("%FT%TZ", t); }

std::string hh_mm(std::chrono::minutes t) {
  char text[8];
  std::snprintf(text, sizeof text, "%02d:%02d", static_cast<int>(t.count() / 60) % 100,
                static_cast<int>(t.count() % 60));
  return text;
}

pool_day today_of(const gateway& shared, const pool& p) {
  return pool_day_at(p.reset_time, *shared.zone_of(p), std::chrono::system_clock::now());
}

}  // namespace

std::string admin_gateway::admin_token_sha256() const {
  return shared_.snapshot()->admin.token_sha256;
}

awaitable<bool> admin_gateway::ready() {
  auto cfg = shared_.snapshot();
  if (cfg->pools.empty()) co_return true;
  const pool& p = cfg->pools.begin()->second;
  auto counts = co_await store_.read_counts(key_for(p, today_of(shared_, p)), "");
  co_return counts.has_value();
}

awaitable<std::string> admin_gateway::metrics_text() {
  auto cfg = shared_.snapshot();
  live_budget live;
  for (const auto& [name, p] : cfg->pools) {
    auto key = key_for(p, today_of(shared_, p));
    auto counts = co_await store_.read_counts(key, "");
    if (!counts) continue;
    live.pools.push_back({name, p.daily_limit, counts->pool_used,
                          std::max<std::int64_t>(0, p.daily_limit - counts->pool_used)});
    for (const auto& [id, c] : cfg->clients) {
      if (!std::any_of(c.grants.begin(), c.grants.end(),
                       [&](const grant& g) { return g.env->counted_in == &p; }))
        continue;
      auto client_counts = co_await store_.read_counts(key, id);
      if (!client_counts) continue;
      budget_limits limits{p.daily_limit, p.reserve_for(c.tier_), shared_.quota_of(c)};
      live.clients.push_back({id, name, limits.quota, client_counts->client_used,
                              remaining_for_client(*client_counts, limits)});
    }
  }
  co_return shared_.metrics.render(live);
}

awaitable<admin_result<usage_report>> admin_gateway::usage(std::optional<std::string> date) {
  auto cfg = shared_.snapshot();
  usage_report report;
  if (date) {
    report.date = *date;
  } else if (!cfg->pools.empty()) {
    report.date = today_of(shared_, cfg->pools.begin()->second).label;
  } else {
    report.date = pool_day_at(std::chrono::minutes(0), "UTC", std::chrono::system_clock::now())->label;
  }
  for (const auto& [name, p] : cfg->pools) {
    auto counts = co_await store_.read_counts(key_for_date(p, *shared_.zone_of(p), report.date), "");
    if (!counts) co_return admin_result<usage_report>::fail(store_unavailable());
    report.pools.push_back({name, p.daily_limit, counts->pool_used});
  }
  auto lines = co_await store_.read_usage(report.date);
  if (!lines) co_return admin_result<usage_report>::fail(store_unavailable());
  for (const auto& line : *lines) {
    const environment* env = cfg->find_environment(line.environment);
    report.rows.push_back({line.client, line.environment, std::string(area_name(line.area_)),
                           std::string(access_name(line.access_)), line.status_class, line.calls,
                           env && env->counted_in ? env->counted_in->name : std::string()});
  }
  co_return admin_result<usage_report>::ok(std::move(report));
}

awaitable<admin_result<hours_report>> admin_gateway::usage_hours(std::optional<std::string> date) {
  auto cfg = shared_.snapshot();
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  hours_report report;
  report.now = utc_text(now);
  if (date) {
    report.date = *date;
  } else if (!cfg->pools.empty()) {
    report.date = today_of(shared_, cfg->pools.begin()->second).label;
  } else {
    report.date = pool_day_at(std::chrono::minutes(0), "UTC", now)->label;
  }
  for (const auto& [name, p] : cfg->pools) {
    const date::time_zone& zone = *shared_.zone_of(p);
    const pool_day day = day_for_date(p, zone, report.date);
    hours_pool out{name, p.timezone, hh_mm(p.reset_time), p.daily_limit, 0,
                   p.reserve_standard, p.reserve_batch, utc_text(day.start),
                   utc_text(day.next_reset), {}, std::nullopt, {}};
    auto counts = co_await store_.read_counts(key_for(p, day), "");
    auto hours = co_await store_.read_hourly(name, day.label);
    if (!counts || !hours) co_return admin_result<hours_report>::fail(store_unavailable());
    out.used = counts->pool_used;
    out.hours = *hours;
    if (day.start <= now && now < day.next_reset) {
      const auto local = zone.to_local(now);
      const auto into_hour = local - date::floor<std::chrono::hours>(local);
      out.current_hour = local_hour(zone, now);
      out.current_hour_start = utc_text(now - into_hour);
    }
    report.pools.push_back(std::move(out));
  }
  co_return admin_result<hours_report>::ok(std::move(report));
}

awaitable<admin_result<clients_report>> admin_gateway::clients() {
  auto cfg = shared_.snapshot();
  auto overrides = shared_.overrides();
  clients_report report;
  for (const auto& [id, c] : cfg->clients) {
    client_report_entry entry;
    entry.id = id;
    entry.tier = tier_name(c.tier_);
    entry.configured_quota = c.daily_quota;
    if (auto it = overrides->find(id); it != overrides->end()) entry.quota_override = it->second;
    // Used and remaining are counted in the pool of the client's first counted environment.
    for (const auto& g : c.grants) {
      client_grant cg{g.env->name, g.key->name, {}};
      for (area a : all_areas)
        if (g.areas[a] != access::none)
          cg.areas.push_back({std::string(area_name(a)), std::string(access_name(g.areas[a]))});
      entry.grants.push_back(std::move(cg));
      if (!entry.pool.empty() || !g.env->counted_in) continue;
      const pool& p = *g.env->counted_in;
      entry.pool = p.name;
      auto counts = co_await store_.read_counts(key_for(p, today_of(shared_, p)), id);
      if (!counts) co_return admin_result<clients_report>::fail(store_unavailable());
      budget_limits limits{p.daily_limit, p.reserve_for(c.tier_), shared_.quota_of(c)};
      entry.used_today = counts->client_used;
      entry.remaining = remaining_for_client(*counts, limits);
    }
    report.clients.push_back(std::move(entry));
  }
  co_return admin_result<clients_report>::ok(std::move(report));
}

awaitable<admin_result<quota_change>> admin_gateway::set_quota(std::string client,
                                                               std::int64_t n) {
  auto cfg = shared_.snapshot();
  auto it = cfg->clients.find(client);
  if (it == cfg->clients.end())
    co_return admin_result<quota_change>::fail({404, "NOT_FOUND", "No client named " + client + "."});
  auto written = co_await store_.set_quota_override(client, n);
  if (!written) co_return admin_result<quota_change>::fail(store_unavailable());
  co_await refresh_overrides();
  shared_.log().info("quota override: client {} daily_quota {} (configured: {})", client, n,
                     it->second.daily_quota ? std::to_string(*it->second.daily_quota) : "none");
  co_return admin_result<quota_change>::ok({client, it->second.daily_quota, n});
}

awaitable<admin_result<quota_change>> admin_gateway::clear_quota(std::string client) {
  auto cfg = shared_.snapshot();
  auto it = cfg->clients.find(client);
  if (it == cfg->clients.end())
    co_return admin_result<quota_change>::fail({404, "NOT_FOUND", "No client named " + client + "."});
  auto cleared = co_await store_.clear_quota_override(client);
  if (!cleared) co_return admin_result<quota_change>::fail(store_unavailable());
  co_await refresh_overrides();
  shared_.log().info("quota override cleared: client {}", client);
  co_return admin_result<quota_change>::ok({client, it->second.daily_quota, std::nullopt});
}

awaitable<bool> admin_gateway::refresh_overrides() {
  auto current = co_await store_.read_quota_overrides();
  if (!current) co_return false;
  gateway::quota_overrides next(current->begin(), current->end());
  if (next != *shared_.overrides()) shared_.set_overrides(std::move(next));
  co_return true;
}

awaitable<void> poll_overrides(admin_gateway& admin) {
  steady_timer timer(co_await net::this_coro::executor);
  for (;;) {
    co_await admin.refresh_overrides();
    timer.expires_after(std::chrono::milliseconds(500));
    auto [ec] = co_await timer.async_wait(use_tuple);
    if (ec) co_return;
  }
}

}  // namespace almagate
