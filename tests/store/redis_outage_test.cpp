// Redis only: outages, reconnection and forgotten scripts. Values, never hangs.

#include <hiredis/hiredis.h>

#include "tests/store/store_fixture.hpp"

using namespace almagate;
using namespace almagate::test;
using namespace std::chrono;

namespace {

// A blocking side connection, to act on the server behind the store's back.
void redis_command(std::uint16_t port, const char* command) {
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeval{2, 0});
  REQUIRE(c);
  REQUIRE(c->err == 0);
  redisSetTimeout(c, timeval{2, 0});
  auto* r = static_cast<redisReply*>(redisCommand(c, command));
  CHECK(r);
  if (r) freeReplyObject(r);
  redisFree(c);
}

struct outage_case {
  redis_server server;
  net::io_context ioc;
  std::unique_ptr<budget_store> store = make_redis_store(ioc.get_executor(),
                                                         redis_options_for(server));
  pool p = small_pool();
  sys_seconds now = utc(2030, 11, 28, 15);

  std::optional<store_result<charge_reply>> charge() {
    return run(ioc, store->charge(request_for(p, "desk", tier::core, std::nullopt, now)));
  }
};

}  // namespace

TEST_CASE("redis: a stopped server gives a store error promptly, and the store comes back") {
  outage_case t;
  auto first = t.charge();
  REQUIRE(first);
  REQUIRE(first->has_value());
  CHECK((*first)->counts.pool_used == 1);

  t.server.stop();
  const auto started = steady_clock::now();
  auto during = t.charge();
  REQUIRE(during);  // completed, did not hang
  REQUIRE_FALSE(during->has_value());
  CHECK(during->error().category() == store_category());
  CHECK(steady_clock::now() - started < seconds{3});
  // While reconnecting, calls fail at once.
  auto again = t.charge();
  REQUIRE(again);
  CHECK_FALSE(again->has_value());
  CHECK(again->error() == store_errc::unavailable);
  // Fire-and-forget while down neither throws nor blocks.
  t.store->record_usage({"2026-11-28", "desk", "production", area::bibs, access::read, 2, 1});

  t.server.start();
  // Reconnects by itself (backoff): poll until a charge goes through, with a deadline.
  const auto deadline = steady_clock::now() + seconds{10};
  std::optional<store_result<charge_reply>> after;
  while (steady_clock::now() < deadline) {
    after = t.charge();
    if (after && after->has_value()) break;
    // Let the reconnect timer run between polls.
    t.ioc.run_for(milliseconds{20});
  }
  REQUIRE(after);
  REQUIRE(after->has_value());
  // No persistence: the restarted server starts from zero (and the script was reloaded).
  CHECK((*after)->result == outcome::charged);
  CHECK((*after)->counts.pool_used == 1);
}

TEST_CASE("redis: a store created while the server is down reports errors and connects later") {
  redis_server server;
  server.stop();
  net::io_context ioc;
  auto store = make_redis_store(ioc.get_executor(), redis_options_for(server));
  const auto p = small_pool();
  const auto now = utc(2030, 11, 28, 15);
  auto r = run(ioc, store->charge(request_for(p, "desk", tier::core, std::nullopt, now)));
  REQUIRE(r);
  CHECK_FALSE(r->has_value());
  server.start();
  const auto deadline = steady_clock::now() + seconds{10};
  bool ok = false;
  while (!ok && steady_clock::now() < deadline) {
    r = run(ioc, store->charge(request_for(p, "desk", tier::core, std::nullopt, now)));
    ok = r && r->has_value();
    if (!ok) ioc.run_for(milliseconds{20});
  }
  CHECK(ok);
}

TEST_CASE("redis: a flushed script cache is handled by SCRIPT LOAD and a retry") {
  outage_case t;
  REQUIRE(t.charge()->has_value());
  redis_command(t.server.port(), "SCRIPT FLUSH");
  auto r = t.charge();
  REQUIRE(r);
  REQUIRE(r->has_value());
  CHECK((*r)->counts.pool_used == 2);
}

TEST_CASE("redis: keys carry the pool's hash tag and expire after the day") {
  outage_case t;
  REQUIRE(t.charge()->has_value());
  redisContext* c = redisConnectWithTimeout("127.0.0.1", t.server.port(), timeval{2, 0});
  REQUIRE(c);
  auto* keys = static_cast<redisReply*>(redisCommand(c, "KEYS *budget:{main}:2030-11-28"));
  REQUIRE(keys);
  REQUIRE(keys->type == REDIS_REPLY_ARRAY);
  REQUIRE(keys->elements == 1);
  const std::string key(keys->element[0]->str, keys->element[0]->len);
  freeReplyObject(keys);
  auto* at = static_cast<redisReply*>(redisCommand(c, "EXPIRETIME %s", key.c_str()));
  REQUIRE(at);
  // Next reset (2030-11-29 00:00 EST) + slack.
  CHECK(at->integer == (utc(2030, 11, 29, 5) + count_slack).time_since_epoch().count());
  freeReplyObject(at);
  redisFree(c);
}

TEST_CASE("redis: a server that stops answering gives a timeout, then the store recovers") {
  outage_case t;
  REQUIRE(t.charge()->has_value());
  // The server holds every client's commands for 1.5 s; the command timeout is 0.5 s.
  redis_command(t.server.port(), "CLIENT PAUSE 1500 ALL");
  const auto started = steady_clock::now();
  auto r = t.charge();
  REQUIRE(r);
  REQUIRE_FALSE(r->has_value());
  CHECK(r->error() == store_errc::timeout);
  CHECK(steady_clock::now() - started < milliseconds{1400});
  const auto deadline = steady_clock::now() + seconds{10};
  bool ok = false;
  while (!ok && steady_clock::now() < deadline) {
    r = t.charge();
    ok = r && r->has_value();
    if (!ok) t.ioc.run_for(milliseconds{20});
  }
  CHECK(ok);
}
