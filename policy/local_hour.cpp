// local_hour (policy/budget_store.hpp): the bucket of the hourly counts.

#include <date/tz.h>

#include "policy/budget_store.hpp"

namespace almagate {

int local_hour(const date::time_zone& zone, std::chrono::system_clock::time_point t) {
  const auto local = zone.to_local(std::chrono::floor<std::chrono::seconds>(t));
  const auto since_midnight = local - date::floor<date::days>(local);
  return static_cast<int>(std::chrono::duration_cast<std::chrono::hours>(since_midnight).count());
}

int local_hour_memo::at(const date::time_zone& zone, std::chrono::system_clock::time_point t) {
  const auto minute = std::chrono::floor<std::chrono::minutes>(t);
  if (zone_ != &zone || minute != minute_ || hour_ < 0) {
    hour_ = local_hour(zone, t);
    zone_ = &zone;
    minute_ = minute;
  }
  return hour_;
}

}  // namespace almagate
