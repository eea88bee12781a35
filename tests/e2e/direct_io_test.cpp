// proxy/direct_io.hpp over a real loopback connection: what the kernel takes or holds at once,
// and the asynchronous rest when it does not take everything.

#include "proxy/direct_io.hpp"

#include <doctest/doctest.h>

#include <sys/socket.h>

#include <string>

#include "tests/support/loopback_pair.hpp"

using namespace almagate;

namespace {
using connected_pair = test::loopback_pair;

std::string pattern(std::size_t size, char seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>(seed + i % 23);
  return s;
}
}  // namespace

TEST_CASE("receive_now: would_block on nothing, the bytes there, eof once the peer closed") {
  connected_pair p;
  char buf[64];
  error_code ec;
  CHECK(receive_now(p.server, net::buffer(buf), ec) == 0);
  CHECK(ec == net::error::would_block);

  net::write(p.client.socket(), net::buffer(std::string("GET / HTTP/1.1\r\n\r\n")));
  // The bytes are on loopback once write returned; reading them may still race the kernel
  // for a moment, so read until they are all there (bounded).
  std::string got;
  for (int i = 0; i < 1000 && got.size() < 18; ++i) {
    ec = {};
    std::size_t n = receive_now(p.server, net::buffer(buf), ec);
    got.append(buf, n);
    if (ec && ec != net::error::would_block) break;
  }
  CHECK(got == "GET / HTTP/1.1\r\n\r\n");

  p.client.socket().shutdown(tcp::socket::shutdown_send);
  ec = {};
  std::size_t n = 0;
  for (int i = 0; i < 1000; ++i) {
    ec = {};
    n = receive_now(p.server, net::buffer(buf), ec);
    if (ec != net::error::would_block) break;
  }
  CHECK(n == 0);
  CHECK(ec == net::error::eof);
}

TEST_CASE("write_all: a small message goes at once; a large one to a slow reader arrives whole") {
  connected_pair p;
  // Small: taken whole by the kernel, in order across the pieces.
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", body = "hello";
  const std::array<net::const_buffer, 2> small{net::buffer(head), net::buffer(body)};
  error_code small_ec = net::error::fault;
  net::co_spawn(p.io, [&]() -> awaitable<void> {
    deadline watch(p.server.get_executor(), p.server);
    small_ec = co_await write_all(p.server, watch, small, std::chrono::seconds(5));
  }, net::detached);
  p.io.run();
  p.io.restart();
  CHECK_FALSE(small_ec);
  std::string got(head.size() + body.size(), '\0');
  net::read(p.client.socket(), net::buffer(got));
  CHECK(got == head + body);

  // Large: a small send buffer and a reader that has not started make the kernel take only
  // part at once; the rest goes asynchronously and all of it arrives, in order.
  int small_buffer = 4096;
  ::setsockopt(p.server.socket().native_handle(), SOL_SOCKET, SO_SNDBUF, &small_buffer,
               sizeof small_buffer);
  const std::string a = pattern(3 << 20, 'a'), b = pattern(1 << 20, 'A');
  const std::array<net::const_buffer, 2> large{net::buffer(a), net::buffer(b)};
  error_code large_ec = net::error::fault;
  bool written = false;
  net::co_spawn(p.io, [&]() -> awaitable<void> {
    // Scoped to the coroutine: its armed timer would otherwise keep io.run() going.
    deadline watch(p.server.get_executor(), p.server);
    large_ec = co_await write_all(p.server, watch, large, std::chrono::seconds(20));
    written = true;
  }, net::detached);
  std::string received;
  net::co_spawn(p.io, [&]() -> awaitable<void> {
    std::string chunk(64 * 1024, '\0');
    p.client.expires_after(std::chrono::seconds(20));
    while (received.size() < a.size() + b.size()) {
      auto [ec, n] = co_await p.client.async_read_some(net::buffer(chunk), use_tuple);
      if (ec) co_return;
      received.append(chunk.data(), n);
    }
  }, net::detached);
  p.io.run();
  CHECK(written);
  CHECK_FALSE(large_ec);
  CHECK(received.size() == a.size() + b.size());
  CHECK(received == a + b);
}

TEST_CASE("write_all: a peer that has gone gives an error, not a hang or a signal") {
  connected_pair p;
  p.client.socket().close();
  const std::string data = pattern(1 << 20, 'x');
  error_code ec;
  for (int i = 0; i < 10 && !ec; ++i) {  // the first send may still be taken; a reset follows
    net::co_spawn(p.io, [&]() -> awaitable<void> {
      deadline watch(p.server.get_executor(), p.server);
      ec = co_await write_all(p.server, watch, net::buffer(data), std::chrono::seconds(5));
    }, net::detached);
    p.io.run();
    p.io.restart();
  }
  CHECK(ec);
}
