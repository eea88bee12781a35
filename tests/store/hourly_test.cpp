// Calls per local hour of a pool-day on every store: summed per hour, per pool and per day,
// shared by the stores of one factory; in Redis kept hourly_retention.

#include <date/tz.h>

#include "tests/store/store_fixture.hpp"

using namespace almagate;
using namespace almagate::test;

#define STORES memory_backend, redis_backend

namespace {

hourly_counts hours(net::io_context& ioc, budget_store& store, const std::string& pool,
                    const std::string& day) {
  auto r = run(ioc, store.read_hourly(pool, day));
  REQUIRE(r.has_value());
  REQUIRE_MESSAGE(r->has_value(), r->error().message());
  return **r;
}

}  // namespace

TEST_CASE_TEMPLATE("hourly counts are summed per pool, day and hour", B, STORES) {
  store_case<B> t;
  t.store->record_hourly("main", "2030-11-28", 9, 1);
  t.store->record_hourly("main", "2030-11-28", 9, 2);
  t.store->record_hourly("main", "2030-11-28", 23, 5);
  t.store->record_hourly("main", "2030-11-28", 0, 1);
  t.store->record_hourly("main", "2030-11-29", 9, 7);
  t.store->record_hourly("other", "2030-11-28", 9, 11);
  t.store->record_hourly("main", "2030-11-28", 24, 100);  // not an hour: ignored
  t.store->record_hourly("main", "2030-11-28", -1, 100);
  hourly_counts want{};
  want[0] = 1;
  want[9] = 3;
  want[23] = 5;
  CHECK(hours(t.ioc, *t.store, "main", "2030-11-28") == want);
  hourly_counts next{};
  next[9] = 7;
  CHECK(hours(t.ioc, *t.store, "main", "2030-11-29") == next);
  hourly_counts other{};
  other[9] = 11;
  CHECK(hours(t.ioc, *t.store, "other", "2030-11-28") == other);
  CHECK(hours(t.ioc, *t.store, "main", "2030-01-01") == hourly_counts{});
}

TEST_CASE_TEMPLATE("hourly counts are seen by every store of the factory", B, STORES) {
  store_case<B> t;
  net::io_context other_loop;
  auto other = t.factory(other_loop.get_executor());
  t.store->record_hourly("main", "2030-11-28", 14, 2);
  other->record_hourly("main", "2030-11-28", 14, 3);
  // A read on each connection flushes its pipelined writes first.
  hours(t.ioc, *t.store, "main", "2030-11-28");
  hours(other_loop, *other, "main", "2030-11-28");
  hourly_counts want{};
  want[14] = 5;
  CHECK(hours(other_loop, *other, "main", "2030-11-28") == want);
  CHECK(hours(t.ioc, *t.store, "main", "2030-11-28") == want);
}

TEST_CASE("memory: hourly counts keep the newest days only") {
  store_case<memory_backend> t;
  for (int d = 1; d <= 20; ++d) {
    const auto day = "2030-11-" + std::string(d < 10 ? "0" : "") + std::to_string(d);
    t.store->record_hourly("main", day, 3, d);
  }
  CHECK(hours(t.ioc, *t.store, "main", "2030-11-01") == hourly_counts{});
  CHECK(hours(t.ioc, *t.store, "main", "2030-11-20")[3] == 20);
  CHECK(hours(t.ioc, *t.store, "main", "2030-11-13")[3] == 13);
}

TEST_CASE("redis: hourly counts expire after hourly_retention") {
  auto options = redis_options_for(shared_redis());
  net::io_context ioc;
  auto store = make_redis_store_factory(options)(ioc.get_executor());
  store->record_hourly("main", "2030-11-28", 1, 1);
  CHECK(hours(ioc, *store, "main", "2030-11-28")[1] == 1);
  auto connection = redis_connection::create(ioc.get_executor(), options);
  std::vector<std::string> ttl{"TTL", options.key_prefix + "hours:{main}:2030-11-28"};
  auto r = run(ioc, [&]() -> awaitable<redis_value> {
    auto [ec, v] = co_await connection->async_command(ttl, use_tuple);
    co_return v;
  }());
  connection->close();
  REQUIRE(r);
  CHECK(r->integer > std::chrono::seconds{hourly_retention}.count() - 60);
  CHECK(r->integer <= std::chrono::seconds{hourly_retention}.count());
}

TEST_CASE("local_hour is the hour of the zone's local clock, across daylight saving") {
  const auto* ny = find_zone("America/New_York");
  REQUIRE(ny);
  CHECK(local_hour(*ny, utc(2030, 11, 28, 15)) == 10);  // EST
  CHECK(local_hour(*ny, utc(2030, 7, 1, 15)) == 11);    // EDT
  CHECK(local_hour(*ny, utc(2030, 11, 29, 4, 59)) == 23);
  CHECK(local_hour(*ny, utc(2030, 11, 29, 5)) == 0);
  const auto* utc_zone = find_zone("UTC");
  REQUIRE(utc_zone);
  CHECK(local_hour(*utc_zone, utc(2030, 11, 28, 15, 30)) == 15);
}

TEST_CASE("local_hour_memo answers as local_hour, across hours, zones and a step back") {
  const auto* ny = find_zone("America/New_York");
  const auto* kolkata = find_zone("Asia/Kolkata");  // +05:30: hours turn at half past UTC
  REQUIRE(ny);
  REQUIRE(kolkata);
  local_hour_memo memo;
  for (auto t : {utc(2030, 11, 29, 4, 59), utc(2030, 11, 29, 4, 59, 59), utc(2030, 11, 29, 5),
                 utc(2030, 11, 29, 4, 59), utc(2030, 3, 10, 6, 59, 59), utc(2030, 3, 10, 7)}) {
    CHECK(memo.at(*ny, t) == local_hour(*ny, t));
    CHECK(memo.at(*kolkata, t) == local_hour(*kolkata, t));
  }
  CHECK(memo.at(*kolkata, utc(2030, 11, 28, 15, 29, 59)) == 20);
  CHECK(memo.at(*kolkata, utc(2030, 11, 28, 15, 30)) == 21);
}
