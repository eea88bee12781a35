#pragma once
// The gateway's metrics: counters, gauges and histograms cheap enough for every call on every
// event loop, and their Prometheus text exposition (format 0.0.4).
//
// Hot path: each update is one relaxed atomic add, no mutex. Labelled series live in a
// fixed-capacity, insert-only, lock-free open-addressing table keyed by the label values
// (no allocation on a hit). Why not arrays indexed from the config: clients and environments
// change on reload, and the counters must keep counting across reloads. Why not per-thread
// shards: a call costs milliseconds upstream, one uncontended-ish relaxed add per metric is
// noise next to it, and shared atomics give exact totals at scrape with no merge step.

#include <array>
#include <deque>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/areas.hpp"
#include "policy/config.hpp"

namespace almagate {

class counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class gauge {
 public:
  void inc(std::int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  void dec(std::int64_t n = 1) { value_.fetch_sub(n, std::memory_order_relaxed); }
  void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Fixed upper bounds in seconds, ascending; the +Inf bucket is implicit.
class histogram {
 public:
  explicit histogram(std::vector<double> bounds);

  void observe(double seconds);

  struct snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    std::uint64_t count() const { return cumulative.empty() ? 0 : cumulative.back(); }
  };
  snapshot read() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0};
};

inline const std::vector<double> upstream_latency_buckets = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
inline const std::vector<double> pacing_wait_buckets = {
    0, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// Series of one metric keyed by N label values. Insert-only: a series, once seen, stays.
// When the table is full, further label sets share one overflow series (values "_other").
template <class T, std::size_t N>
class labeled {
 public:
  using labels = std::array<std::string_view, N>;

  labeled(std::size_t capacity, std::function<std::unique_ptr<T>()> make);

  T& at(const labels& values);

  // Calls f(const std::array<std::string, N>&, const T&) for every series.
  template <class F>
  void for_each(F&& f) const;

 private:
  enum : std::uint8_t { empty, writing, ready };
  struct slot {
    std::atomic<std::uint8_t> state{empty};
    std::array<std::string, N> values;
    std::unique_ptr<T> value;
  };
  static std::size_t hash_of(const labels& values);
  static bool same(const slot& s, const labels& values);
  static std::uint64_t next_id() {
    static std::atomic<std::uint64_t> counter{1};
    return counter.fetch_add(1, std::memory_order_relaxed);
  }

  // Unique in the process (never reused, unlike an address): names the family a thread's
  // last-found series belongs to.
  const std::uint64_t id_ = next_id();
  std::unique_ptr<slot[]> slots_;
  std::size_t capacity_;
  std::function<std::unique_ptr<T>()> make_;
  std::unique_ptr<T> overflow_;
  std::atomic<bool> overflowed_{false};
};

// Why a call ended as it did, as the calls_total `outcome` label.
enum class call_outcome : std::uint8_t {
  forwarded,
  refused_scope,          // outside the client's grant (403)
  refused_quota,          // the client's daily quota is spent
  refused_pool,           // the pool is spent
  refused_reserve,        // the pool is down to the tier's reserve
  refused_speed,          // per-second pacing could not fit the call in max_wait
  refused_store_failure,  // the store failed and store_failure is closed
};
inline constexpr std::size_t call_outcome_count = 7;
std::string_view call_outcome_name(call_outcome o);
std::string_view store_failure_mode_name(store_failure_mode m);

// Budget figures read at scrape time (from the store), rendered as gauges.
struct pool_gauges {
  std::string pool;
  std::int64_t daily_limit = 0;
  std::int64_t used = 0;
  std::int64_t remaining = 0;
};
struct client_gauges {
  std::string client;
  std::string pool;
  std::optional<std::int64_t> daily_quota;  // none: only the pool limits it (no quota gauges)
  std::int64_t used = 0;
  std::int64_t remaining = 0;  // remaining_for_client: quota and pool above the tier's reserve
};
struct live_budget {
  std::vector<pool_gauges> pools;
  std::vector<client_gauges> clients;
};

// Every metric the gateway exports. One instance per process, shared by all event loops.
class gateway_metrics {
 public:
  // `max_series`: distinct (client, environment) pairs kept before "_other" takes the rest.
  explicit gateway_metrics(std::size_t max_series = 4096);

  // almagate_calls_total{client,environment,area,outcome}
  counter& calls_total(std::string_view client, std::string_view environment, area a,
                       call_outcome o);
  // almagate_upstream_latency_seconds{environment}: request sent -> response header read.
  histogram& upstream_latency_seconds(std::string_view environment);
  // almagate_pacing_wait_seconds{pool}: time a call waited for its per-second slot.
  histogram& pacing_wait_seconds(std::string_view pool);
  // almagate_upstream_per_second_refusals_total{environment}: Alma's PER_SECOND_THRESHOLD 429s.
  counter& upstream_per_second_refusals_total(std::string_view environment);
  // almagate_pool_alerts_total{pool,threshold}: a pool's day first crossed a threshold (this
  // instance sent the alert; over all instances, once a day per threshold).
  counter& pool_alerts_total(std::string_view pool, std::string_view threshold);
  // almagate_store_failure_decisions_total{mode}: calls decided by store_failure while down.
  counter& store_failure_decisions_total(store_failure_mode m);
  // almagate_config_reloads_total{result="ok|failed"}
  counter& config_reloads_total(bool ok) { return reloads_[ok ? 0 : 1]; }

  counter store_errors_total;  // almagate_store_errors_total
  gauge open_connections;      // almagate_open_connections (script connections)
  // almagate_event_loop_connections{loop}: the script connections each event loop serves.
  // The loops are added before any of them runs.
  gauge& add_event_loop() { return event_loops_.emplace_back(); }

  // The whole exposition; `live` supplies the pool and client budget gauges.
  std::string render(const live_budget& live = {}) const;

 private:
  using per_pair = std::array<counter, area_count * call_outcome_count>;
  labeled<per_pair, 2> calls_;
  labeled<histogram, 1> upstream_latency_;
  labeled<histogram, 1> pacing_wait_;
  labeled<counter, 1> upstream_per_second_;
  labeled<counter, 2> pool_alerts_;
  std::array<counter, 3> store_failure_decisions_;
  std::array<counter, 2> reloads_;
  std::deque<gauge> event_loops_;  // a deque: gauges stay where they are as loops are added
};

// Prometheus text helpers (exposed for tests and other exporters).
std::string prometheus_escape_label(std::string_view value);
std::string prometheus_number(double value);

// --- labeled<T, N>: lock-free insert-only open addressing ---

template <class T, std::size_t N>
labeled<T, N>::labeled(std::size_t capacity, std::function<std::unique_ptr<T>()> make)
    : slots_(new slot[capacity ? capacity : 1]), capacity_(capacity ? capacity : 1),
      make_(std::move(make)), overflow_(make_()) {}

template <class T, std::size_t N>
std::size_t labeled<T, N>::hash_of(const labels& values) {
  std::size_t h = 0;
  for (auto v : values) h = h * 1000003u ^ std::hash<std::string_view>{}(v);
  return h;
}

template <class T, std::size_t N>
bool labeled<T, N>::same(const slot& s, const labels& values) {
  for (std::size_t i = 0; i < N; ++i)
    if (s.values[i] != values[i]) return false;
  return true;
}

template <class T, std::size_t N>
T& labeled<T, N>::at(const labels& values) {
  // Each thread keeps the series it found last in each family (eight places, by the
  // family's id): a loop's calls in a row are mostly of one client, and comparing its labels
  // costs less than hashing them. (A filled slot never changes or moves.)
  struct found_series {
    std::uint64_t family = 0;
    slot* found = nullptr;
  };
  thread_local std::array<found_series, 8> found;
  found_series& last = found[id_ % found.size()];
  if (last.family == id_ && same(*last.found, values)) return *last.found->value;
  std::size_t start = hash_of(values) % capacity_;
  for (std::size_t probe = 0; probe < capacity_; ++probe) {
    slot& s = slots_[(start + probe) % capacity_];
    auto state = s.state.load(std::memory_order_acquire);
    if (state == empty) {
      std::uint8_t expected = empty;
      if (s.state.compare_exchange_strong(expected, writing, std::memory_order_acquire)) {
        for (std::size_t i = 0; i < N; ++i) s.values[i] = std::string(values[i]);
        s.value = make_();
        s.state.store(ready, std::memory_order_release);
        return *s.value;
      }
      state = expected;
    }
    // Another thread is filling this slot: it is done in a few instructions, wait for it.
    while (state == writing) state = s.state.load(std::memory_order_acquire);
    if (same(s, values)) {
      last.family = id_;
      last.found = &s;
      return *s.value;
    }
  }
  overflowed_.store(true, std::memory_order_relaxed);
  return *overflow_;
}

template <class T, std::size_t N>
template <class F>
void labeled<T, N>::for_each(F&& f) const {
  for (std::size_t i = 0; i < capacity_; ++i) {
    const slot& s = slots_[i];
    if (s.state.load(std::memory_order_acquire) == ready) f(s.values, *s.value);
  }
  if (overflowed_.load(std::memory_order_relaxed)) {
    std::array<std::string, N> other;
    other.fill("_other");
    f(other, *overflow_);
  }
}

}  // namespace almagate
