#include "policy/day.hpp"

#include <date/tz.h>

#include <stdexcept>

namespace almagate {

namespace {

using std::chrono::sys_seconds;

// The reset instant of local date `d`, by the rule in day.hpp.
sys_seconds reset_of(date::local_days d, std::chrono::minutes reset_time,
                     const date::time_zone& zone) {
  const date::local_seconds local{d + reset_time};
  const auto info = zone.get_info(local);
  // Skipped: the gap ends where the second period begins.
  if (info.result == date::local_info::nonexistent) return info.second.begin;
  // Unique, or repeated: the first occurrence (offset of the first period).
  return sys_seconds{local.time_since_epoch() - info.first.offset};
}

}  // namespace

const date::time_zone* find_zone(std::string_view iana_name) {
  try {
    return date::locate_zone(iana_name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

pool_day pool_day_at(std::chrono::minutes reset_time, const date::time_zone& zone,
                     std::chrono::system_clock::time_point now) {
  const auto now_s = std::chrono::floor<std::chrono::seconds>(now);
  const auto local = zone.to_local(now_s);
  auto d = std::chrono::floor<date::days>(local - reset_time);
  // The local clock can be an hour off the rule near a DST change: step to the right day.
  while (reset_of(d, reset_time, zone) > now_s) d -= date::days{1};
  while (reset_of(d + date::days{1}, reset_time, zone) <= now_s) d += date::days{1};

  pool_day out;
  out.label = date::format("%F", d);
  out.start = reset_of(d, reset_time, zone);
  out.next_reset = reset_of(d + date::days{1}, reset_time, zone);
  const auto left = std::chrono::ceil<std::chrono::seconds>(out.next_reset - now);
  out.until_reset = left < std::chrono::seconds{1} ? std::chrono::seconds{1} : left;
  return out;
}

std::optional<pool_day> pool_day_at(std::chrono::minutes reset_time, std::string_view iana_name,
                                    std::chrono::system_clock::time_point now) {
  const auto* zone = find_zone(iana_name);
  if (!zone) return std::nullopt;
  return pool_day_at(reset_time, *zone, now);
}

const pool_day& pool_day_memo::at(std::chrono::minutes reset_time, const date::time_zone& zone,
                                  std::chrono::system_clock::time_point now) {
  if (day_ && reset_time_ == reset_time && zone_ == &zone && now >= day_->start &&
      now < day_->next_reset) {
    const auto left = std::chrono::ceil<std::chrono::seconds>(day_->next_reset - now);
    day_->until_reset = left < std::chrono::seconds{1} ? std::chrono::seconds{1} : left;
    return *day_;
  }
  day_ = pool_day_at(reset_time, zone, now);
  reset_time_ = reset_time;
  zone_ = &zone;
  return *day_;
}

}  // namespace almagate
