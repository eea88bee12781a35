// proxy/deadline.hpp over a real loopback connection: an operation past its deadline closes the
// connection and reads as a timeout; one that ends in time leaves it open, whatever the one
// timer was armed for before.

#include "proxy/deadline.hpp"

#include <doctest/doctest.h>

#include <string>

#include "tests/support/loopback_pair.hpp"

using namespace almagate;
using namespace std::chrono_literals;

namespace {
using connected_pair = test::loopback_pair;

struct read_outcome {
  error_code ec;
  std::string got;
  std::chrono::steady_clock::duration took{};
};

// One timed read of what the server's peer sends.
awaitable<read_outcome> timed_read(plain_stream& stream, deadline& watch,
                                   std::chrono::milliseconds timeout) {
  read_outcome out;
  char buf[64];
  const auto began = std::chrono::steady_clock::now();
  watch.start(timeout);
  auto [ec, n] = co_await stream.async_read_some(net::buffer(buf), use_tuple);
  watch.stop();
  out.took = std::chrono::steady_clock::now() - began;
  out.ec = watch.reason(ec);
  out.got.assign(buf, n);
  co_return out;
}

awaitable<void> after(std::chrono::milliseconds wait) {
  steady_timer timer(co_await net::this_coro::executor);
  timer.expires_after(wait);
  co_await timer.async_wait(use_tuple);
}
}  // namespace

TEST_CASE("deadline: a read past it closes the connection and reads as a timeout") {
  connected_pair p;
  read_outcome r;
  bool expired = false;
  net::co_spawn(p.io, [&]() -> awaitable<void> {
    deadline watch(p.server.get_executor(), p.server);
    r = co_await timed_read(p.server, watch, 100ms);
    expired = watch.expired();
  }, net::detached);
  p.io.run_for(10s);
  CHECK(r.ec == beast::error::timeout);
  CHECK(expired);
  CHECK(r.took >= 100ms);
  CHECK_FALSE(p.server.socket().is_open());
  // The peer sees the connection closed.
  char byte;
  error_code ec;
  p.client.socket().read_some(net::buffer(&byte, 1), ec);
  CHECK(ec == net::error::eof);
}

TEST_CASE("deadline: reads that end in time keep the connection open past earlier deadlines") {
  connected_pair p;
  read_outcome first, second, third;
  bool expired_after_second = true;
  net::co_spawn(p.io, [&]() -> awaitable<void> {
    deadline watch(p.server.get_executor(), p.server);
    net::write(p.client.socket(), net::buffer(std::string("one")));
    first = co_await timed_read(p.server, watch, 150ms);
    // The timer stays armed for the first read's deadline; the second read's comes later and
    // its bytes arrive after the first deadline has passed.
    net::co_spawn(p.io, [&]() -> awaitable<void> {
      co_await after(300ms);
      net::write(p.client.socket(), net::buffer(std::string("two")));
    }, net::detached);
    second = co_await timed_read(p.server, watch, 1000ms);
    expired_after_second = watch.expired();
    // Nothing more comes: the timer, armed again for the later deadline, ends this one.
    third = co_await timed_read(p.server, watch, 200ms);
  }, net::detached);
  p.io.run_for(10s);
  CHECK_FALSE(first.ec);
  CHECK(first.got == "one");
  CHECK_FALSE(second.ec);
  CHECK(second.got == "two");
  CHECK(second.took >= 250ms);
  CHECK_FALSE(expired_after_second);
  CHECK(third.ec == beast::error::timeout);
  CHECK(third.took >= 200ms);
}

TEST_CASE("deadline: a shorter deadline after a longer one is kept, not the longer") {
  connected_pair p;
  read_outcome first, second;
  net::co_spawn(p.io, [&]() -> awaitable<void> {
    deadline watch(p.server.get_executor(), p.server);
    net::write(p.client.socket(), net::buffer(std::string("one")));
    first = co_await timed_read(p.server, watch, 60s);
    second = co_await timed_read(p.server, watch, 100ms);
  }, net::detached);
  p.io.run_for(20s);
  CHECK_FALSE(first.ec);
  CHECK(second.ec == beast::error::timeout);
  CHECK(second.took >= 100ms);
  // Ended by its own deadline, far before the first read's.
  CHECK(second.took < 30s);
}

TEST_CASE("deadline: an operation that failed by itself is not called a timeout") {
  connected_pair p;
  read_outcome r;
  bool expired = true;
  net::co_spawn(p.io, [&]() -> awaitable<void> {
    deadline watch(p.server.get_executor(), p.server);
    p.client.socket().close();
    r = co_await timed_read(p.server, watch, 5s);
    expired = watch.expired();
  }, net::detached);
  p.io.run_for(10s);
  CHECK(r.ec == net::error::eof);
  CHECK_FALSE(expired);
}

TEST_CASE("deadline: reads under one start_until end by it, however the bytes trickle") {
  connected_pair p;
  int reads = 0;
  error_code last;
  std::chrono::steady_clock::duration took{};
  net::co_spawn(p.io, [&]() -> awaitable<void> {
    deadline watch(p.server.get_executor(), p.server);
    // A byte every 50 ms for two seconds: each read ends in time, the whole does not.
    net::co_spawn(p.io, [&]() -> awaitable<void> {
      for (int i = 0; i < 40; ++i) {
        co_await after(50ms);
        error_code ignored;
        net::write(p.client.socket(), net::buffer("x", 1), ignored);
        if (ignored) co_return;
      }
    }, net::detached);
    const auto began = std::chrono::steady_clock::now();
    const auto due = began + 300ms;
    for (;;) {
      char byte;
      watch.start_until(due);
      auto [ec, n] = co_await p.server.async_read_some(net::buffer(&byte, 1), use_tuple);
      watch.stop();
      if (ec) {
        last = watch.reason(ec);
        break;
      }
      ++reads;
    }
    took = std::chrono::steady_clock::now() - began;
  }, net::detached);
  p.io.run_for(10s);
  CHECK(last == beast::error::timeout);
  CHECK(reads >= 2);
  CHECK(took >= 300ms);
  CHECK(took < 1500ms);  // by its own deadline, long before the bytes stopped
}
