#include "tests/sim/thresholds.hpp"

#include <algorithm>

namespace almagate::sim {

namespace {
// Shown as remaining when there is no daily threshold.
constexpr std::int64_t unlimited_pool = 1'000'000;

std::int64_t utc_day() {
  using namespace std::chrono;
  return duration_cast<days>(system_clock::now().time_since_epoch()).count();
}
}  // namespace

thresholds::thresholds(threshold_settings settings)
    : daily_limit_(settings.daily_limit),
      per_second_(settings.per_second),
      latency_ms_(settings.latency_ms),
      day_(utc_day()) {}

std::int64_t thresholds::remaining_locked() const {
  std::int64_t pool = daily_limit_ > 0 ? daily_limit_ : unlimited_pool;
  return std::max<std::int64_t>(0, pool - day_count_);
}

void thresholds::roll_day_locked() {
  std::int64_t today = utc_day();
  if (today != day_) {
    day_ = today;
    day_count_ = 0;
  }
}

admission thresholds::admit(call_kind kind, double arrival_ms,
                            std::optional<clock::time_point> now) {
  std::lock_guard lock(mutex_);
  roll_day_locked();
  if (stats_.received == 0) stats_.first_ms = arrival_ms;
  stats_.last_ms = std::max(stats_.last_ms, arrival_ms);
  ++stats_.received;
  if (kind == call_kind::unauthorized) ++stats_.unauthorized;
  if (kind != call_kind::authorized) return {verdict::not_counted, remaining_locked()};

  if (daily_limit_ > 0 && day_count_ >= daily_limit_) {
    ++stats_.refused_daily;
    return {verdict::refused_daily, remaining_locked()};
  }
  // Sliding window: a call is in the window while it is less than 1 s old.
  clock::time_point t = now.value_or(clock::now());
  while (!window_.empty() && window_.front() <= t - std::chrono::seconds(1)) window_.pop_front();
  if (per_second_ > 0 && static_cast<std::int64_t>(window_.size()) >= per_second_) {
    ++stats_.refused_per_second;
    return {verdict::refused_per_second, remaining_locked()};
  }
  window_.push_back(t);
  ++day_count_;
  ++stats_.accepted;
  stats_.max_accepted_in_any_second =
      std::max<std::int64_t>(stats_.max_accepted_in_any_second, window_.size());
  return {verdict::accepted, remaining_locked()};
}

sim_stats thresholds::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void thresholds::reset() {
  std::lock_guard lock(mutex_);
  stats_ = {};
  window_.clear();
  day_count_ = 0;
  day_ = utc_day();
}

void thresholds::update(std::optional<std::int64_t> daily_limit,
                        std::optional<std::int64_t> per_second,
                        std::optional<std::int64_t> latency_ms) {
  std::lock_guard lock(mutex_);
  if (daily_limit) daily_limit_ = std::max<std::int64_t>(0, *daily_limit);
  if (per_second) per_second_ = std::max<std::int64_t>(0, *per_second);
  if (latency_ms) latency_ms_.store(std::max<std::int64_t>(0, *latency_ms));
}

}  // namespace almagate::sim
