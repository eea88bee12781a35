// proxy/tls_socket.hpp over a real loopback connection, against Asio's own TLS stream as the
// server: the handshake verifies the certificate and its name; messages of any size arrive
// whole both ways, through the direct write and the asynchronous one; closes read as eof;
// a read past its deadline reads as a timeout.

#include "proxy/tls_socket.hpp"

#include <doctest/doctest.h>

#include <string>

#include "proxy/deadline.hpp"
#include "proxy/direct_io.hpp"
#include "tests/support/loopback_pair.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

using namespace almagate;
using namespace std::chrono_literals;

namespace {

using server_stream = ssl::stream<tcp_socket>;

std::string pattern(std::size_t size, char seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>(seed + i % 29);
  return s;
}

ssl::context server_context_for(const test::tls_material& pki) {
  ssl::context context(ssl::context::tls_server);
  context.use_certificate_chain_file(pki.server_cert.string());
  context.use_private_key_file(pki.server_key.string(), ssl::context::pem);
  return context;
}

// A client and a server context over the test PKI; the client trusts its CA unless told not.
struct tls_pair {
  test::temp_dir dir;
  test::tls_material pki = test::make_test_pki(dir);
  ssl::context server_context = server_context_for(pki);
  ssl::context client_context{ssl::context::tls_client};
  test::loopback_pair wire;
  server_stream server{std::move(wire.server.socket()), server_context};
  std::optional<tls_socket> client;

  explicit tls_pair(bool trust_ca = true) {
    if (trust_ca) client_context.load_verify_file(pki.ca_cert.string());
    client_context.set_verify_mode(ssl::verify_peer);
    client.emplace(std::move(wire.client));
  }

  // Both handshakes, the client's for `host`; the client's result.
  error_code handshake(const std::string& host, error_code* server_ec = nullptr) {
    error_code client_ec, prepare_ec, sec;
    bool prepared = client->prepare_client(client_context, host, prepare_ec);
    REQUIRE(prepared);
    net::co_spawn(wire.io, [&]() -> awaitable<void> {
      auto [ec] = co_await server.async_handshake(ssl::stream_base::server, use_tuple);
      sec = ec;
    }, net::detached);
    net::co_spawn(wire.io, [&]() -> awaitable<void> {
      auto [ec, n] = co_await client->async_handshake(use_tuple_on<tls_socket>);
      client_ec = ec;
      // A failed client handshake leaves the server waiting: close so that it ends too.
      if (ec) client->next_layer().socket().close();
    }, net::detached);
    wire.io.run_for(10s);
    wire.io.restart();
    if (server_ec) *server_ec = sec;
    return client_ec;
  }
};

}  // namespace

TEST_CASE("tls_socket: the handshake verifies the certificate, its name or address, and its CA") {
  SUBCASE("a name the certificate has") {
    tls_pair p;
    error_code server_ec;
    CHECK_FALSE(p.handshake("localhost", &server_ec));
    CHECK_FALSE(server_ec);
  }
  SUBCASE("an address the certificate has") {
    tls_pair p;
    CHECK_FALSE(p.handshake("127.0.0.1"));
  }
  SUBCASE("a name it does not have") {
    tls_pair p;
    error_code ec = p.handshake("alma.example.org");
    CHECK(ec);
    CHECK(ec.category() == net::error::get_ssl_category());
  }
  SUBCASE("an address it does not have") {
    tls_pair p;
    CHECK(p.handshake("127.0.0.2"));
  }
  SUBCASE("a CA not trusted") {
    tls_pair p(false);
    CHECK(p.handshake("localhost"));
  }
}

TEST_CASE("tls_socket: small and large messages arrive whole both ways") {
  tls_pair p;
  REQUIRE_FALSE(p.handshake("localhost"));
  // 8 MiB: more than loopback's socket buffers, so the direct write stops at would_block and
  // the asynchronous write goes on from the record it left half sent.
  const std::string head = "POST /x HTTP/1.1\r\nContent-Length: 8388608\r\n\r\n";
  const std::string body = pattern(8 << 20, 'a');
  const std::string answer = pattern(3 << 20, 'k');
  std::string server_got(head.size() + body.size(), '\0');
  std::string client_got(answer.size(), '\0');
  error_code write_ec, read_ec, server_read_ec, server_write_ec;
  std::size_t sent_at_once = 0;
  bool server_done = false, client_done = false;

  net::co_spawn(p.wire.io, [&]() -> awaitable<void> {
    auto [ec, n] = co_await net::async_read(p.server, net::buffer(server_got), use_tuple);
    server_read_ec = ec;
    auto [wec, wn] = co_await net::async_write(p.server, net::buffer(answer), use_tuple);
    server_write_ec = wec;
    server_done = true;
  }, net::detached);
  net::co_spawn(p.wire.io, [&]() -> awaitable<void> {
    tls_socket& c = *p.client;
    deadline watch(c.get_executor(), c.next_layer());
    const std::array<net::const_buffer, 2> out{net::buffer(head), net::buffer(body)};
    error_code ec;
    if (!write_now(c, out, sent_at_once, ec))
      ec = co_await write_rest(c, watch, out, sent_at_once, 10s);
    write_ec = ec;
    auto [rec, n] = co_await net::async_read(c, net::buffer(client_got), use_tuple_on<tls_socket>);
    read_ec = rec;
    client_done = true;
  }, net::detached);
  p.wire.io.run_for(30s);

  REQUIRE(server_done);
  REQUIRE(client_done);
  CHECK_FALSE(write_ec);
  CHECK_FALSE(server_read_ec);
  CHECK(sent_at_once < head.size() + body.size());  // the asynchronous write had its part
  CHECK(server_got == head + body);
  CHECK_FALSE(server_write_ec);
  CHECK_FALSE(read_ec);
  CHECK(client_got == answer);
}

TEST_CASE("tls_socket: a close after the last record reads as eof, with or without close_notify") {
  for (bool notify : {true, false}) {
    CAPTURE(notify);
    tls_pair p;
    REQUIRE_FALSE(p.handshake("localhost"));
    net::co_spawn(p.wire.io, [&]() -> awaitable<void> {
      co_await net::async_write(p.server, net::buffer(std::string("last words")), use_tuple);
      if (notify) co_await p.server.async_shutdown(use_tuple);
      p.server.next_layer().close();
    }, net::detached);
    std::string got;
    error_code end;
    net::co_spawn(p.wire.io, [&]() -> awaitable<void> {
      char buf[64];
      for (;;) {
        auto [ec, n] = co_await p.client->async_read_some(net::buffer(buf), use_tuple_on<tls_socket>);
        got.append(buf, n);
        if (ec) {
          end = ec;
          break;
        }
      }
      p.client->next_layer().socket().close();  // the server's shutdown waits for it
    }, net::detached);
    p.wire.io.run_for(10s);
    CHECK(got == "last words");
    CHECK(end == net::error::eof);
  }
}

TEST_CASE("tls_socket: a read past its deadline closes the connection and reads as a timeout") {
  tls_pair p;
  REQUIRE_FALSE(p.handshake("localhost"));
  error_code ec;
  bool done = false;
  net::co_spawn(p.wire.io, [&]() -> awaitable<void> {
    tls_socket& c = *p.client;
    deadline watch(c.get_executor(), c.next_layer());
    char buf[64];
    watch.start(100ms);
    auto [rec, n] = co_await c.async_read_some(net::buffer(buf), use_tuple_on<tls_socket>);
    watch.stop();
    ec = watch.reason(rec);
    done = true;
  }, net::detached);
  p.wire.io.run_for(10s);
  REQUIRE(done);
  CHECK(ec == beast::error::timeout);
  CHECK_FALSE(p.client->next_layer().socket().is_open());
}

// One read by the client of at most `size` bytes, run to its end.
std::string read_once(tls_pair& p, std::size_t size) {
  std::string got;
  net::co_spawn(p.wire.io, [&]() -> awaitable<void> {
    std::string buf(size, '\0');
    auto [ec, n] = co_await p.client->async_read_some(net::buffer(buf), use_tuple_on<tls_socket>);
    got.assign(buf.data(), n);
  }, net::detached);
  p.wire.io.run_for(10s);
  p.wire.io.restart();
  return got;
}

TEST_CASE("tls_socket: bytes arrived and not yet read are told apart from none") {
  tls_pair p;
  REQUIRE_FALSE(p.handshake("localhost"));
  CHECK_FALSE(p.client->holds_unread());
  net::co_spawn(p.wire.io, [&]() -> awaitable<void> {
    co_await net::async_write(p.server, net::buffer(std::string("abcdef")), use_tuple);
  }, net::detached);
  CHECK(read_once(p, 3) == "abc");
  CHECK(p.client->holds_unread());  // "def", decrypted, not yet read
  CHECK(read_once(p, 16) == "def");
  CHECK_FALSE(p.client->holds_unread());
}
