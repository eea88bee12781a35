#include "policy/day.hpp"

#include <date/date.h>
#include <doctest/doctest.h>

using namespace almagate;
using namespace std::chrono;

namespace {

sys_seconds utc(int y, unsigned m, unsigned d, int h, int mi = 0, int s = 0) {
  return date::sys_days{date::year{y} / m / d} + hours{h} + minutes{mi} + seconds{s};
}

pool_day ny(minutes reset, sys_seconds now) {
  return *pool_day_at(reset, "America/New_York", now);
}

}  // namespace

TEST_CASE("pool day: an ordinary day in New York, reset at midnight") {
  const auto d = ny(minutes{0}, utc(2026, 11, 28, 15));
  CHECK(d.label == "2026-11-28");
  CHECK(d.start == utc(2026, 11, 28, 5));
  CHECK(d.next_reset == utc(2026, 11, 29, 5));
  CHECK(d.until_reset == hours{14});
}

TEST_CASE("pool day: the last second of a day and the first of the next") {
  const auto before = ny(minutes{0}, utc(2026, 11, 29, 4, 59, 59));
  CHECK(before.label == "2026-11-28");
  CHECK(before.until_reset == seconds{1});
  const auto after = ny(minutes{0}, utc(2026, 11, 29, 5));
  CHECK(after.label == "2026-11-29");
  CHECK(after.until_reset == hours{24});
}

TEST_CASE("pool day: spring-forward day is 23 hours long") {
  const auto d = ny(minutes{0}, utc(2026, 3, 8, 12));
  CHECK(d.label == "2026-03-08");
  CHECK(d.start == utc(2026, 3, 8, 5));       // 00:00 EST
  CHECK(d.next_reset == utc(2026, 3, 9, 4));  // 00:00 EDT
  CHECK(d.next_reset - d.start == hours{23});
}

TEST_CASE("pool day: fall-back day is 25 hours long") {
  const auto d = ny(minutes{0}, utc(2026, 11, 1, 12));
  CHECK(d.label == "2026-11-01");
  CHECK(d.start == utc(2026, 11, 1, 4));       // 00:00 EDT
  CHECK(d.next_reset == utc(2026, 11, 2, 5));  // 00:00 EST
  CHECK(d.next_reset - d.start == hours{25});
}

TEST_CASE("pool day: a reset time the clock skips starts the day when the clock jumps") {
  const minutes reset{2 * 60 + 30};
  // 01:59:59 EST on 2026-03-08: still the day that began at 02:30 EST on 03-07.
  const auto before = ny(reset, utc(2026, 3, 8, 6, 59, 59));
  CHECK(before.label == "2026-03-07");
  CHECK(before.start == utc(2026, 3, 7, 7, 30));
  CHECK(before.next_reset == utc(2026, 3, 8, 7));  // 03:00 EDT, the end of the gap
  const auto after = ny(reset, utc(2026, 3, 8, 7));
  CHECK(after.label == "2026-03-08");
  CHECK(after.next_reset == utc(2026, 3, 9, 6, 30));  // 02:30 EDT
}

TEST_CASE("pool day: a reset time the clock repeats starts the day at its first occurrence") {
  const minutes reset{60 + 30};
  CHECK(ny(reset, utc(2026, 11, 1, 5, 29, 59)).label == "2026-10-31");
  const auto first = ny(reset, utc(2026, 11, 1, 5, 30));  // 01:30 EDT
  CHECK(first.label == "2026-11-01");
  CHECK(first.start == utc(2026, 11, 1, 5, 30));
  // The second 01:30 (EST) does not start another day.
  const auto second = ny(reset, utc(2026, 11, 1, 6, 30));
  CHECK(second.label == "2026-11-01");
  CHECK(second.next_reset == utc(2026, 11, 2, 6, 30));
}

TEST_CASE("pool day: zones east of UTC and plain UTC") {
  // 00:30 CET on 11-29.
  CHECK(pool_day_at(minutes{0}, "Europe/Berlin", utc(2026, 11, 28, 23, 30))->label == "2026-11-29");
  const auto u = *pool_day_at(minutes{6 * 60}, "UTC", utc(2026, 11, 28, 5, 59));
  CHECK(u.label == "2026-11-27");
  CHECK(u.next_reset == utc(2026, 11, 28, 6));
  CHECK(u.until_reset == minutes{1});
}

TEST_CASE("pool day: sub-second instants round the wait up") {
  const auto d = pool_day_at(minutes{0}, "UTC", utc(2026, 11, 28, 23, 59, 59) + milliseconds{1});
  CHECK(d->until_reset == seconds{1});
  CHECK(d->label == "2026-11-28");
}

TEST_CASE("pool day: an unknown zone is reported, not thrown") {
  CHECK_FALSE(pool_day_at(minutes{0}, "Mars/Olympus_Mons", utc(2026, 11, 28, 0)).has_value());
  CHECK(find_zone("Nowhere/At_All") == nullptr);
}

TEST_CASE("pool day memo: the same answers as pool_day_at across resets, DST and a clock step back") {
  const auto* ny_zone = find_zone("America/New_York");
  const auto* tokyo = find_zone("Asia/Tokyo");
  REQUIRE(ny_zone);
  REQUIRE(tokyo);
  pool_day_memo memo;
  auto same = [&](minutes reset, const date::time_zone& zone, system_clock::time_point now) {
    const pool_day expected = pool_day_at(reset, zone, now);
    const pool_day& got = memo.at(reset, zone, now);
    CHECK(got.label == expected.label);
    CHECK(got.start == expected.start);
    CHECK(got.next_reset == expected.next_reset);
    CHECK(got.until_reset == expected.until_reset);
  };
  // Within one day (remembered), its last second, the next day's first (recomputed).
  same(minutes{0}, *ny_zone, utc(2026, 11, 28, 15));
  same(minutes{0}, *ny_zone, utc(2026, 11, 28, 20) + milliseconds{400});
  same(minutes{0}, *ny_zone, utc(2026, 11, 29, 4, 59, 59));
  same(minutes{0}, *ny_zone, utc(2026, 11, 29, 5));
  // The clock stepped back into the previous day.
  same(minutes{0}, *ny_zone, utc(2026, 11, 29, 4, 30));
  // Across the spring-forward and fall-back days.
  same(minutes{150}, *ny_zone, utc(2030, 3, 10, 6));
  same(minutes{150}, *ny_zone, utc(2030, 3, 10, 7, 1));
  same(minutes{90}, *ny_zone, utc(2030, 11, 3, 5, 10));
  same(minutes{90}, *ny_zone, utc(2030, 11, 3, 6, 10));
  // A changed reset time or zone is never answered from memory.
  same(minutes{60}, *ny_zone, utc(2030, 11, 3, 6, 10));
  same(minutes{60}, *tokyo, utc(2030, 11, 3, 6, 10));
}
