#pragma once
// The institution's thresholds (daily pool, per-second window) and the counters the
// simulator keeps about every /almaws call. Shared by all threads behind one mutex.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

namespace almagate::sim {

struct threshold_settings {
  std::int64_t daily_limit = 0;  // 0: no daily threshold
  std::int64_t per_second = 0;   // 0: no per-second threshold
  std::int64_t latency_ms = 0;   // added to every /almaws answer
};

// What the simulator made of a call, as far as counting goes.
enum class call_kind {
  unrouted,      // not an Alma route or not a valid request: never counted
  unauthorized,  // unknown key or outside its grant: never counted
  authorized,    // counted unless a threshold refuses it
};

enum class verdict { accepted, refused_per_second, refused_daily, not_counted };

struct admission {
  verdict outcome = verdict::not_counted;
  std::int64_t remaining = 0;  // for X-Exl-Api-Remaining
};

struct sim_stats {
  std::int64_t received = 0;
  std::int64_t accepted = 0;
  std::int64_t refused_per_second = 0;
  std::int64_t refused_daily = 0;
  std::int64_t unauthorized = 0;
  std::int64_t max_accepted_in_any_second = 0;
  double first_ms = 0;  // arrival of the first /almaws request, 0 if none
  double last_ms = 0;
};

class thresholds {
 public:
  using clock = std::chrono::steady_clock;

  explicit thresholds(threshold_settings settings);

  // Count one /almaws call and, if authorized, decide it. `now` must not go backwards
  // between calls (callers pass clock::now(), taken under the lock when null).
  admission admit(call_kind kind, double arrival_ms, std::optional<clock::time_point> now = {});

  sim_stats stats() const;
  // Clears counters, the window and the day's count.
  void reset();
  void update(std::optional<std::int64_t> daily_limit, std::optional<std::int64_t> per_second,
              std::optional<std::int64_t> latency_ms);
  std::chrono::milliseconds latency() const {
    return std::chrono::milliseconds(latency_ms_.load(std::memory_order_relaxed));
  }

 private:
  std::int64_t remaining_locked() const;
  void roll_day_locked();

  mutable std::mutex mutex_;
  std::int64_t daily_limit_;
  std::int64_t per_second_;
  std::atomic<std::int64_t> latency_ms_;
  std::int64_t day_ = 0;  // UTC day number of day_count_
  std::int64_t day_count_ = 0;
  // Accepted calls in the last second, oldest first.
  std::deque<clock::time_point> window_;
  sim_stats stats_;
};

}  // namespace almagate::sim
