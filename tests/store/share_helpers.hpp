#pragma once
// Helpers for the share-mode tests: a command on a side connection, and running an event loop
// until a condition holds.

#include <hiredis/hiredis.h>

#include <chrono>
#include <string>

#include "tests/store/store_fixture.hpp"

namespace almagate::test {

// Runs one Redis command on its own blocking connection (e.g. to register another instance).
inline void side_command(std::uint16_t port, const std::string& command) {
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeval{2, 0});
  REQUIRE(c);
  REQUIRE(c->err == 0);
  auto* r = static_cast<redisReply*>(redisCommand(c, command.c_str()));
  CHECK(r);
  if (r) freeReplyObject(r);
  redisFree(c);
}

// Runs the loop until `done` holds or the deadline passes.
template <class Pred>
bool poll(net::io_context& ioc, Pred done,
          std::chrono::milliseconds deadline = std::chrono::seconds{10}) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    if (ioc.stopped()) ioc.restart();
    ioc.run_for(std::chrono::milliseconds{10});
  }
  return true;
}

}  // namespace almagate::test
