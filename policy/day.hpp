#pragma once
// A pool's day: it starts at the pool's reset time in the pool's IANA time zone.
//
// Rule for reset times the local clock skips or repeats (daylight saving):
// - skipped (02:30 on a spring-forward day): the day starts at the first instant after the
//   gap, i.e. the moment the clock jumps (03:00 new offset in America/New_York);
// - repeated (01:30 on a fall-back day): the day starts at the first occurrence.
// So every local date has exactly one reset instant and days never overlap or vanish.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace almagate {

struct pool_day {
  std::string label;                    // "2026-11-28": local date on which this day started
  std::chrono::sys_seconds start;       // the reset instant that began it
  std::chrono::sys_seconds next_reset;  // the reset instant that ends it
  std::chrono::seconds until_reset{0};  // next_reset - now, rounded up, at least 1: Retry-After
};

// Null if the zone is unknown. reset_time is minutes after local midnight, in [0, 1440).
const date::time_zone* find_zone(std::string_view iana_name);

pool_day pool_day_at(std::chrono::minutes reset_time, const date::time_zone& zone,
                     std::chrono::system_clock::time_point now);

// pool_day_at for one pool, remembered between resets: within [start, next_reset) of the
// remembered day only until_reset is worked out again (pool_day_at goes through the time zone
// database and formats the date: thousands of instructions, on every counted call). A change
// of reset time or zone, or a `now` outside the day (a reset passed, or the clock stepped
// back), computes the day afresh.
class pool_day_memo {
 public:
  const pool_day& at(std::chrono::minutes reset_time, const date::time_zone& zone,
                     std::chrono::system_clock::time_point now);

 private:
  std::optional<pool_day> day_;
  std::chrono::minutes reset_time_{0};
  const date::time_zone* zone_ = nullptr;
};

// Convenience: looks the zone up; nullopt if it is unknown.
std::optional<pool_day> pool_day_at(std::chrono::minutes reset_time, std::string_view iana_name,
                                    std::chrono::system_clock::time_point now);

}  // namespace almagate
