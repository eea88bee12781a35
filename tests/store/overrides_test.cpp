// Live quota overrides on every store: shared by the stores of one factory, and in Redis kept
// across restarts of the gateway.

#include "tests/store/store_fixture.hpp"

using namespace almagate;
using namespace almagate::test;

#define STORES memory_backend, redis_backend

namespace {

std::map<std::string, std::int64_t> overrides(net::io_context& ioc, budget_store& store) {
  auto r = run(ioc, store.read_quota_overrides());
  REQUIRE(r.has_value());
  REQUIRE_MESSAGE(r->has_value(), r->error().message());
  return **r;
}

void set(net::io_context& ioc, budget_store& store, const std::string& client,
         std::int64_t quota) {
  auto r = run(ioc, store.set_quota_override(client, quota));
  REQUIRE(r.has_value());
  REQUIRE_MESSAGE(r->has_value(), r->error().message());
}

void clear(net::io_context& ioc, budget_store& store, const std::string& client) {
  auto r = run(ioc, store.clear_quota_override(client));
  REQUIRE(r.has_value());
  REQUIRE_MESSAGE(r->has_value(), r->error().message());
}

}  // namespace

TEST_CASE_TEMPLATE("quota overrides are set, replaced, read and cleared", B, STORES) {
  store_case<B> t;
  CHECK(overrides(t.ioc, *t.store).empty());
  set(t.ioc, *t.store, "batch-job", 500);
  set(t.ioc, *t.store, "web", 0);
  set(t.ioc, *t.store, "batch-job", 2000);
  CHECK(overrides(t.ioc, *t.store) ==
        std::map<std::string, std::int64_t>{{"batch-job", 2000}, {"web", 0}});
  clear(t.ioc, *t.store, "web");
  clear(t.ioc, *t.store, "nobody");  // clearing what is not there is fine
  CHECK(overrides(t.ioc, *t.store) == std::map<std::string, std::int64_t>{{"batch-job", 2000}});
}

TEST_CASE_TEMPLATE("quota overrides are seen by every store of the factory", B, STORES) {
  store_case<B> t;
  net::io_context other_loop;
  auto other = t.factory(other_loop.get_executor());
  set(t.ioc, *t.store, "desk", 42);
  CHECK(overrides(other_loop, *other) == std::map<std::string, std::int64_t>{{"desk", 42}});
  clear(other_loop, *other, "desk");
  CHECK(overrides(t.ioc, *t.store).empty());
}

TEST_CASE("redis: quota overrides survive a gateway restart and never expire") {
  auto options = redis_options_for(shared_redis());
  {
    net::io_context ioc;
    auto store = make_redis_store_factory(options)(ioc.get_executor());
    set(ioc, *store, "desk", 7);
  }
  net::io_context ioc;
  auto store = make_redis_store_factory(options)(ioc.get_executor());
  CHECK(overrides(ioc, *store) == std::map<std::string, std::int64_t>{{"desk", 7}});
  auto connection = redis_connection::create(ioc.get_executor(), options);
  std::vector<std::string> ttl{"TTL", options.key_prefix + "quota_overrides"};
  auto r = run(ioc, [&]() -> awaitable<redis_value> {
    auto [ec, v] = co_await connection->async_command(ttl, use_tuple);
    co_return v;
  }());
  connection->close();
  REQUIRE(r);
  CHECK(r->integer == -1);  // no expiry
}
