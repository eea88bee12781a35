#include "proxy/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace almagate {

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void histogram::observe(double seconds) {
  std::size_t i = 0;
  while (i < bounds_.size() && seconds > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(seconds, std::memory_order_relaxed);
}

histogram::snapshot histogram::read() const {
  snapshot out;
  out.bounds = bounds_;
  std::uint64_t running = 0;
  // Cumulated from one read of each bucket, so +Inf always equals the rendered _count.
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out.cumulative.push_back(running);
  }
  out.sum = sum_.load(std::memory_order_relaxed);
  return out;
}

std::string_view call_outcome_name(call_outcome o) {
  switch (o) {
    case call_outcome::forwarded: return "forwarded";
    case call_outcome::refused_scope: return "refused_scope";
    case call_outcome::refused_quota: return "refused_quota";
    case call_outcome::refused_pool: return "refused_pool";
    case call_outcome::refused_reserve: return "refused_reserve";
    case call_outcome::refused_speed: return "refused_speed";
    case call_outcome::refused_store_failure: return "refused_store_failure";
  }
  return "unknown";
}

std::string_view store_failure_mode_name(store_failure_mode m) {
  switch (m) {
    case store_failure_mode::closed: return "closed";
    case store_failure_mode::open: return "open";
    case store_failure_mode::share: return "share";
  }
  return "unknown";
}

std::string prometheus_escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string prometheus_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc{} ? std::string(buf, end) : std::string("NaN");
}

gateway_metrics::gateway_metrics(std::size_t max_series)
    : calls_(max_series, [] { return std::make_unique<per_pair>(); }),
      upstream_latency_(256, [] { return std::make_unique<histogram>(upstream_latency_buckets); }),
      pacing_wait_(256, [] { return std::make_unique<histogram>(pacing_wait_buckets); }),
      upstream_per_second_(256, [] { return std::make_unique<counter>(); }),
      pool_alerts_(256, [] { return std::make_unique<counter>(); }) {}

counter& gateway_metrics::calls_total(std::string_view client, std::string_view environment,
                                      area a, call_outcome o) {
  auto& pair = calls_.at({client, environment});
  return pair[static_cast<std::size_t>(a) * call_outcome_count + static_cast<std::size_t>(o)];
}

histogram& gateway_metrics::upstream_latency_seconds(std::string_view environment) {
  return upstream_latency_.at({environment});
}

histogram& gateway_metrics::pacing_wait_seconds(std::string_view pool) {
  return pacing_wait_.at({pool});
}

counter& gateway_metrics::pool_alerts_total(std::string_view pool, std::string_view threshold) {
  return pool_alerts_.at({pool, threshold});
}

counter& gateway_metrics::upstream_per_second_refusals_total(std::string_view environment) {
  return upstream_per_second_.at({environment});
}

counter& gateway_metrics::store_failure_decisions_total(store_failure_mode m) {
  return store_failure_decisions_[static_cast<std::size_t>(m)];
}

namespace {

using label_list = std::vector<std::pair<std::string_view, std::string_view>>;

class exposition {
 public:
  void header(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    // HELP escapes backslash and newline only.
    for (char c : help) {
      if (c == '\n') out_ += "\\n";
      else if (c == '\\') out_ += "\\\\";
      else out_ += c;
    }
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  void sample(std::string_view name, const label_list& labels, std::string_view value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      bool first = true;
      for (const auto& [key, v] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += key;
        out_ += "=\"";
        out_ += prometheus_escape_label(v);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }

  void sample(std::string_view name, const label_list& labels, std::int64_t value) {
    sample(name, labels, std::to_string(value));
  }

  void histogram_samples(std::string_view name, label_list labels, const histogram& h) {
    auto snap = h.read();
    std::string bucket = std::string(name) + "_bucket";
    labels.emplace_back("le", "");
    for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
      std::string le = i < snap.bounds.size() ? prometheus_number(snap.bounds[i]) : "+Inf";
      labels.back().second = le;
      sample(bucket, labels, std::to_string(snap.cumulative[i]));
    }
    labels.pop_back();
    sample(std::string(name) + "_sum", labels, prometheus_number(snap.sum));
    sample(std::string(name) + "_count", labels, std::to_string(snap.count()));
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Series in label order, so scrapes and tests see a stable text.
template <class T, std::size_t N>
std::vector<std::pair<std::array<std::string, N>, const T*>> sorted(const labeled<T, N>& family) {
  std::vector<std::pair<std::array<std::string, N>, const T*>> rows;
  family.for_each([&](const std::array<std::string, N>& values, const T& v) {
    rows.emplace_back(values, &v);
  });
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return rows;
}

}  // namespace

std::string gateway_metrics::render(const live_budget& live) const {
  exposition x;

  x.header("almagate_calls_total", "counter",
           "Calls by client, environment, API area and outcome.");
  for (const auto& [values, pair] : sorted(calls_)) {
    for (area a : all_areas) {
      for (std::size_t o = 0; o < call_outcome_count; ++o) {
        auto n = (*pair)[static_cast<std::size_t>(a) * call_outcome_count + o].value();
        if (n == 0) continue;
        x.sample("almagate_calls_total",
                 {{"client", values[0]},
                  {"environment", values[1]},
                  {"area", area_name(a)},
                  {"outcome", call_outcome_name(static_cast<call_outcome>(o))}},
                 std::to_string(n));
      }
    }
  }

  x.header("almagate_upstream_latency_seconds", "histogram",
           "Time from sending a call upstream to reading the response header.");
  for (const auto& [values, h] : sorted(upstream_latency_))
    x.histogram_samples("almagate_upstream_latency_seconds", {{"environment", values[0]}}, *h);

  x.header("almagate_pacing_wait_seconds", "histogram",
           "Time a call waited for its per-second slot.");
  for (const auto& [values, h] : sorted(pacing_wait_))
    x.histogram_samples("almagate_pacing_wait_seconds", {{"pool", values[0]}}, *h);

  x.header("almagate_upstream_per_second_refusals_total", "counter",
           "Upstream 429 PER_SECOND_THRESHOLD responses.");
  for (const auto& [values, c] : sorted(upstream_per_second_))
    x.sample("almagate_upstream_per_second_refusals_total", {{"environment", values[0]}},
             std::to_string(c->value()));

  x.header("almagate_pool_alerts_total", "counter",
           "Alerts sent: a pool's day first crossed an alert threshold.");
  for (const auto& [values, c] : sorted(pool_alerts_))
    x.sample("almagate_pool_alerts_total", {{"pool", values[0]}, {"threshold", values[1]}},
             std::to_string(c->value()));

  x.header("almagate_store_errors_total", "counter", "Budget store operations that failed.");
  x.sample("almagate_store_errors_total", {}, std::to_string(store_errors_total.value()));

  x.header("almagate_store_failure_decisions_total", "counter",
           "Calls decided by the store_failure mode while the store was failing.");
  for (auto m : {store_failure_mode::closed, store_failure_mode::open, store_failure_mode::share})
    x.sample("almagate_store_failure_decisions_total", {{"mode", store_failure_mode_name(m)}},
             std::to_string(store_failure_decisions_[static_cast<std::size_t>(m)].value()));

  x.header("almagate_config_reloads_total", "counter", "Config reloads by result.");
  x.sample("almagate_config_reloads_total", {{"result", "ok"}}, std::to_string(reloads_[0].value()));
  x.sample("almagate_config_reloads_total", {{"result", "failed"}},
           std::to_string(reloads_[1].value()));

  x.header("almagate_open_connections", "gauge", "Open script connections.");
  x.sample("almagate_open_connections", {}, open_connections.value());
  if (!event_loops_.empty()) {
    x.header("almagate_event_loop_connections", "gauge",
             "Script connections each event loop serves (new ones go to the loop with fewest).");
    for (std::size_t i = 0; i < event_loops_.size(); ++i)
      x.sample("almagate_event_loop_connections", {{"loop", std::to_string(i)}},
               event_loops_[i].value());
  }

  x.header("almagate_pool_daily_limit", "gauge", "The pool's daily call limit.");
  for (const auto& p : live.pools) x.sample("almagate_pool_daily_limit", {{"pool", p.pool}}, p.daily_limit);
  x.header("almagate_pool_used", "gauge", "Calls counted in the pool today.");
  for (const auto& p : live.pools) x.sample("almagate_pool_used", {{"pool", p.pool}}, p.used);
  x.header("almagate_pool_remaining", "gauge", "Calls left in the pool today.");
  for (const auto& p : live.pools) x.sample("almagate_pool_remaining", {{"pool", p.pool}}, p.remaining);

  x.header("almagate_client_quota_used", "gauge", "Calls counted to the client today.");
  for (const auto& c : live.clients)
    x.sample("almagate_client_quota_used", {{"client", c.client}, {"pool", c.pool}}, c.used);
  x.header("almagate_client_quota_remaining", "gauge",
           "Calls the client can still make today (quota and pool above its reserve).");
  for (const auto& c : live.clients)
    x.sample("almagate_client_quota_remaining", {{"client", c.client}, {"pool", c.pool}},
             c.remaining);
  x.header("almagate_client_daily_quota", "gauge", "The client's daily quota in effect.");
  for (const auto& c : live.clients)
    if (c.daily_quota)
      x.sample("almagate_client_daily_quota", {{"client", c.client}, {"pool", c.pool}},
               *c.daily_quota);

  return x.take();
}

}  // namespace almagate
