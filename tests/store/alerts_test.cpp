// Alerts once per threshold per pool-day, over every store (instance) of a factory.

#include "tests/store/store_fixture.hpp"

using namespace almagate;
using namespace almagate::test;

#define STORES memory_backend, redis_backend

namespace {

bool claim(net::io_context& ioc, budget_store& store, const pool_day_key& where,
           double threshold) {
  auto r = run(ioc, store.claim_alert(where, threshold));
  REQUIRE(r.has_value());
  REQUIRE_MESSAGE(r->has_value(), r->error().message());
  return **r;
}

}  // namespace

TEST_CASE_TEMPLATE("an alert is claimed once per threshold and pool-day", B, STORES) {
  store_case<B> t;
  net::io_context other_loop;
  auto other = t.factory(other_loop.get_executor());
  const auto today = key_at(t.p, t.now);
  CHECK(claim(t.ioc, *t.store, today, 0.5));
  CHECK_FALSE(claim(t.ioc, *t.store, today, 0.5));
  CHECK_FALSE(claim(other_loop, *other, today, 0.5));  // another instance
  CHECK(claim(other_loop, *other, today, 0.1));        // another threshold
  CHECK_FALSE(claim(t.ioc, *t.store, today, 0.1));
  // Another pool, and the next day, start afresh.
  auto sandbox = today;
  sandbox.pool = "sandbox";
  CHECK(claim(t.ioc, *t.store, sandbox, 0.5));
  const auto tomorrow = key_at(t.p, utc(2030, 11, 29, 15));
  CHECK(claim(t.ioc, *t.store, tomorrow, 0.5));
  CHECK_FALSE(claim(other_loop, *other, tomorrow, 0.5));
}

TEST_CASE("redis: claimed alerts expire with the pool-day's counts") {
  auto options = redis_options_for(shared_redis());
  net::io_context ioc;
  auto store = make_redis_store_factory(options)(ioc.get_executor());
  const auto p = small_pool();
  const auto today = key_at(p, utc(2030, 11, 28, 15));
  CHECK(claim(ioc, *store, today, 0.25));
  auto connection = redis_connection::create(ioc.get_executor(), options);
  std::vector<std::string> ttl{"EXPIRETIME", options.key_prefix + "alerts:{main}:" + today.day};
  auto r = run(ioc, [&]() -> awaitable<redis_value> {
    auto [ec, v] = co_await connection->async_command(ttl, use_tuple);
    co_return v;
  }());
  connection->close();
  REQUIRE(r);
  CHECK(r->integer == today.expire_at.time_since_epoch().count());
}
