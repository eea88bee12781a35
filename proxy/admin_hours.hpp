#pragma once
// GET /v1/usage/hours: each pool's calls per local hour of one pool-day, with what the
// dashboard needs to project the day's end (limit, used, reserves, day start and next reset).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace almagate {

struct hours_pool {
  std::string pool;
  std::string timezone;          // IANA name
  std::string reset;             // "HH:MM", local
  std::int64_t daily_limit = 0;
  std::int64_t used = 0;         // the pool-day's count (as /v1/usage)
  std::int64_t reserve_standard = 0;
  std::int64_t reserve_batch = 0;
  std::string day_start;         // the reset that began the day, UTC "2026-11-29T05:00:00Z"
  std::string next_reset;        // the reset that ends it, UTC
  std::array<std::int64_t, 24> hours{};  // index: hour of the local clock
  // Only for today's pool-day: the local hour now and the UTC instant it began.
  std::optional<int> current_hour;
  std::string current_hour_start;
};

struct hours_report {
  std::string date;  // YYYY-MM-DD
  std::string now;   // UTC, when the report was made
  std::vector<hours_pool> pools;
};

// {"date":..,"now":..,"pools":[{"pool":..,"hours":[24 numbers],"current_hour":13 or null,..}]}
boost::json::value to_json(const hours_report& report);

}  // namespace almagate
