// Pacing while Redis is down: an error without share; with share, each instance paces on its
// own at rate / live instances, and goes back to the shared schedule when Redis answers.

#include "tests/store/share_helpers.hpp"

using namespace almagate;
using namespace almagate::test;
using namespace std::chrono;

namespace {

const system_clock::time_point t0 = utc(2030, 11, 28, 15);

pace_request desk_at(system_clock::time_point now) {
  return {"main", 25, "desk", 0, tier::core, seconds{10}, now};
}

}  // namespace

TEST_CASE("redis pacing: without share, an outage is an error value") {
  redis_server server;
  net::io_context ioc;
  auto store = make_redis_store_factory(redis_options_for(server))(ioc.get_executor());
  server.stop();
  auto r = run(ioc, store->reserve_slot(desk_at(t0)));
  REQUIRE(r);
  REQUIRE_FALSE(r->has_value());
  CHECK(r->error().category() == store_category());
  auto released = run(ioc, store->release_slot(desk_at(t0), t0 + seconds{1}));
  REQUIRE(released);
  CHECK_FALSE(released->has_value());
}

TEST_CASE("redis pacing: with share, an outage paces locally at rate / live instances") {
  redis_server server;
  auto options = redis_options_for(server);
  auto share = make_redis_share();
  share->heartbeat_interval = milliseconds{50};
  net::io_context ioc;
  auto store = make_redis_store(ioc.get_executor(), options, share);
  auto reserve = [&](system_clock::time_point now) {
    auto r = run(ioc, store->reserve_slot(desk_at(now)));
    REQUIRE(r);
    REQUIRE_MESSAGE(r->has_value(), r->error().message());
    return **r;
  };
  CHECK_FALSE(reserve(t0).paced_locally);
  // A second live instance, as its heartbeat would register it.
  side_command(server.port(), "ZADD " + options.key_prefix + "instances 99999999999999 other");
  REQUIRE(poll(ioc, [&] { return share->counts.live_instances() == 2; }));

  server.stop();
  // Two instances: this one paces at 12.5/s, one slot every 80 ms.
  const auto now = t0 + seconds{1};
  std::vector<system_clock::time_point> slots;
  for (int i = 0; i < 3; ++i) {
    const auto r = reserve(now);
    CHECK(r.paced_locally);
    REQUIRE(r.granted);
    slots.push_back(r.slot);
  }
  CHECK(slots[0] - now < milliseconds{80});
  CHECK(slots[1] - slots[0] == milliseconds{80});
  CHECK(slots[2] - slots[1] == milliseconds{80});
  auto released = run(ioc, store->release_slot(desk_at(now), slots[2]));
  REQUIRE(released);
  REQUIRE(released->has_value());
  CHECK(**released);

  server.start();
  REQUIRE(poll(ioc, [&] {
    auto r = run(ioc, store->reserve_slot(desk_at(t0 + seconds{2})));
    return r && r->has_value() && !(*r)->paced_locally;
  }));
}
