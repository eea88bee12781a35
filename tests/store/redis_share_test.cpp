// store_failure: share. While Redis is down each instance spends its share of the pool's
// last known remaining; once Redis is back, what it counted is added there.

#include "tests/store/share_helpers.hpp"

using namespace almagate;
using namespace almagate::test;
using namespace std::chrono;

TEST_CASE("redis share: an outage is spent in shares, then counted into Redis") {
  redis_server server;
  auto options = redis_options_for(server);
  auto share = make_redis_share();
  share->heartbeat_interval = milliseconds{50};
  net::io_context ioc;
  auto store = make_redis_store(ioc.get_executor(), options, share);
  const auto p = small_pool();
  const auto now = utc(2030, 11, 28, 15);
  auto charge = [&] {
    auto r = run(ioc, store->charge(request_for(p, "desk", tier::core, std::nullopt, now)));
    REQUIRE(r);
    REQUIRE(r->has_value());
    return **r;
  };

  CHECK_FALSE(charge().counted_locally);
  CHECK(charge().counts.pool_used == 2);
  // A second live instance, as its heartbeat would register it.
  side_command(server.port(), "ZADD " + options.key_prefix + "instances 99999999999999 other");
  REQUIRE(poll(ioc, [&] { return share->counts.live_instances() == 2; }));

  server.stop();
  // 8 left when last seen, 2 live instances: this one may spend 4.
  int local = 0;
  for (int i = 0; i < 10; ++i) {
    const auto r = charge();
    CHECK(r.counted_locally);
    if (r.result != outcome::charged) {
      CHECK(r.result == outcome::pool_spent);
      CHECK(r.counts.pool_used == 6);
      break;
    }
    ++local;
  }
  CHECK(local == 4);
  // A refund during the outage gives one back.
  auto refunded = run(ioc, store->refund({key_at(p, now), "desk", 1}));
  REQUIRE(refunded);
  REQUIRE(refunded->has_value());
  CHECK((*refunded)->pool_used == 5);
  CHECK(charge().result == outcome::charged);
  CHECK(charge().result == outcome::pool_spent);

  // Back, empty (no persistence): the 4 local calls are added to Redis.
  server.start();
  REQUIRE(poll(ioc, [&] {
    auto r = run(ioc, store->charge(request_for(p, "desk", tier::core, std::nullopt, now)));
    return r && r->has_value() && !(*r)->counted_locally;
  }));
  REQUIRE(poll(ioc, [&] {
    auto r = run(ioc, store->read_counts(key_at(p, now), "desk"));
    return r && r->has_value() && (*r)->pool_used == 5 && (*r)->client_used == 5;
  }));
}

TEST_CASE("redis share: a block asked for during an outage counts only the call") {
  // A gateway asks for a block of calls (a lease); counted locally, only one is granted and
  // counted, so the outage does not spend (or later add to Redis) calls nobody made.
  redis_server server;
  auto options = redis_options_for(server);
  auto share = make_redis_share();
  net::io_context ioc;
  auto store = make_redis_store(ioc.get_executor(), options, share);
  const auto p = small_pool();
  const auto now = utc(2030, 11, 28, 15);
  auto block = [&] {
    auto request = request_for(p, "desk", tier::core, std::nullopt, now);
    request.max_calls = 4;
    auto r = run(ioc, store->charge(request));
    REQUIRE(r);
    REQUIRE(r->has_value());
    return **r;
  };
  auto first = block();
  CHECK_FALSE(first.counted_locally);
  CHECK(first.granted == 4);  // Redis grants the block
  server.stop();
  auto local = block();
  CHECK(local.counted_locally);
  CHECK(local.result == outcome::charged);
  CHECK(local.granted == 1);
  CHECK(local.counts.pool_used == 5);
  // Back, empty (no persistence): Redis ends with exactly the calls made since (each charge
  // below is one call, counted locally until the connection is back), not the block.
  server.start();
  std::int64_t calls_since = 1;
  REQUIRE(poll(ioc, [&] {
    auto r = run(ioc, store->charge(request_for(p, "desk", tier::core, std::nullopt, now)));
    if (r && r->has_value() && (*r)->result == outcome::charged) ++calls_since;
    return r && r->has_value() && !(*r)->counted_locally;
  }));
  std::int64_t seen = -1;
  bool exact = poll(ioc, [&] {
    auto r = run(ioc, store->read_counts(key_at(p, now), "desk"));
    if (r && r->has_value()) seen = (*r)->pool_used;
    return seen == calls_since && (*r)->client_used == calls_since;
  });
  CAPTURE(seen);
  CAPTURE(calls_since);
  CHECK(exact);
}

TEST_CASE("redis share: without share, an outage is an error the caller acts on") {
  redis_server server;
  net::io_context ioc;
  auto factory = make_redis_store_factory(redis_options_for(server), store_failure_mode::closed);
  auto store = factory(ioc.get_executor());
  const auto p = small_pool();
  const auto now = utc(2030, 11, 28, 15);
  server.stop();
  auto r = run(ioc, store->charge(request_for(p, "desk", tier::core, std::nullopt, now)));
  REQUIRE(r);
  CHECK_FALSE(r->has_value());
}
