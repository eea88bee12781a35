// The real gateway in front of a scripted plain-HTTP upstream that misbehaves on purpose: it
// breaks a response off before its body, closes a keep-alive connection the gateway has
// pooled, or never answers. The simulator is a well-behaved Alma; these are the upstream's
// faults. Also the deadlines on the script's side: a header that never ends, an idle
// keep-alive connection, and a busy one that must not be closed.

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "policy/token.hpp"
#include "tests/support/gateway_server.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/port_file.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace almagate::test;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

const std::string fault_key = "l7xx-fault-upstream-key-0000000000000009";
const std::string fault_token = "agt_fault-test-token-FFFFFFFFFFFFFFFFFFFFFFFFFF";

// Answers each request on a connection with what `reply` returns for its index over the
// whole server (0, 1, ...): bytes to write, and whether to close the connection after them.
struct scripted_reply {
  std::string bytes;
  bool close_after = false;
  std::string later{};  // written 50 ms after `bytes` (before the close, if any)
};

class scripted_upstream {
 public:
  explicit scripted_upstream(std::function<scripted_reply(int)> reply)
      : reply_(std::move(reply)), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~scripted_upstream() {
    stopping_ = true;
    boost::system::error_code ec;
    {
      // A blocking accept() is not woken by closing its socket: connect once to wake it.
      asio::io_context io;
      tcp::socket wake(io);
      wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port()), ec);
    }
    {
      std::lock_guard lock(mutex_);
      for (auto* s : open_) s->shutdown(tcp::socket::shutdown_both, ec);
    }
    thread_.join();
    for (auto& t : connections_) t.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int requests() const { return requests_.load(); }
  int connections() const { return accepted_.load(); }

 private:
  void serve() {
    while (!stopping_) {
      boost::system::error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      ++accepted_;
      connections_.emplace_back([this, s = std::move(socket)]() mutable { converse(s); });
    }
  }
  void converse(tcp::socket& socket) {
    {
      std::lock_guard lock(mutex_);
      open_.push_back(&socket);
    }
    std::string pending;
    char buf[4096];
    boost::system::error_code ec;
    for (;;) {
      auto end = pending.find("\r\n\r\n");
      if (end == std::string::npos) {
        std::size_t n = socket.read_some(asio::buffer(buf), ec);
        if (ec) break;
        pending.append(buf, n);
        continue;
      }
      pending.erase(0, end + 4);  // these tests send bodyless calls upstream
      scripted_reply r = reply_(requests_++);
      asio::write(socket, asio::buffer(r.bytes), ec);
      if (!ec && !r.later.empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // input shaping
        asio::write(socket, asio::buffer(r.later), ec);
      }
      if (ec || r.close_after) break;
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
    std::lock_guard lock(mutex_);
    std::erase(open_, &socket);
    socket.close(ec);
  }

  std::function<scripted_reply(int)> reply_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::vector<std::thread> connections_;
  std::mutex mutex_;
  std::vector<tcp::socket*> open_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0}, accepted_{0};
};

std::string gateway_config(std::uint16_t upstream_port, const std::string& limits = {}) {
  return "listen: \"127.0.0.1:0\"\nthreads: 1\n" + limits + "environments:\n  production: { upstream: "
         "\"http://127.0.0.1:" +
         std::to_string(upstream_port) +
         "\", default: true }\nkeys:\n  k: { environment: production, secret_env: FAULT_KEY, "
         "areas: { bibs: read } }\nclients:\n  c:\n    token_sha256: \"" +
         almagate::sha256_hex(fault_token) +
         "\"\n    access: { production: { key: k, areas: { bibs: read } } }\n";
}

// The gateway in front of the scripted upstream on `upstream_port`, with `limits` if given.
gateway_options fault_gateway(std::uint16_t upstream_port, const std::string& limits = {}) {
  return gateway_options{.config_text = gateway_config(upstream_port, limits),
                         .env = {{"FAULT_KEY", fault_key}}};
}

const std::string ok_reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             "Content-Length: 11\r\n\r\n{\"mms\":\"1\"}";

// A script's connection driven by hand, with blocking reads bounded by SO_RCVTIMEO: whether
// and when the gateway closes it is what these tests look at.
class script_connection {
 public:
  explicit script_connection(std::uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval bound{10, 0};  // no test waits longer for one read
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
  }
  void send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  // From another thread while this one reads: a plain send(2), touching no Asio state. False
  // once the connection is gone.
  bool send_from_other_thread(const std::string& bytes) {
    return ::send(socket_.native_handle(), bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // One response with a Content-Length body; empty if the connection ended first.
  std::string response() {
    for (;;) {
      auto end = pending_.find("\r\n\r\n");
      if (end != std::string::npos) {
        auto at = pending_.find("Content-Length: ");
        std::size_t length = at < end ? std::stoul(pending_.substr(at + 16)) : 0;
        if (pending_.size() >= end + 4 + length) {
          std::string r = pending_.substr(0, end + 4 + length);
          pending_.erase(0, r.size());
          return r;
        }
      }
      if (!read_more()) return {};
    }
  }
  // Waits (at most SO_RCVTIMEO) for the gateway to close the connection; true if it did,
  // sending nothing more.
  bool closed_by_gateway() { return ending() == asio::error::eof; }
  // The same for a script still sending when the gateway closes: bytes it never read make
  // the kernel end the connection with a reset instead.
  bool closed_or_reset_by_gateway() {
    const auto e = ending();
    return e == asio::error::eof || e == asio::error::connection_reset;
  }

 private:
  // Reads until the connection ends: how it ended, or no error if bytes came first.
  boost::system::error_code ending() {
    const std::size_t before = pending_.size();
    while (read_more()) {
    }
    return pending_.size() == before ? last_error_ : boost::system::error_code{};
  }
  bool read_more() {
    char buf[4096];
    std::size_t n = socket_.read_some(asio::buffer(buf), last_error_);
    pending_.append(buf, n);
    return !last_error_;
  }
  asio::io_context io_;
  tcp::socket socket_;
  std::string pending_;
  boost::system::error_code last_error_;
};

// The usual call (a bib, with the client's token) through `gateway`.
response get_bib(http_client& client, const gateway_server& gateway) {
  return client.get(gateway.base_url() + "/almaws/v1/bibs/1?format=json",
                    {{"Authorization", "apikey " + fault_token}});
}

std::string call_bytes() {
  return "GET /almaws/v1/bibs/1?format=json HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: apikey " +
         fault_token + "\r\n\r\n";
}

using std::chrono::steady_clock;
using namespace std::chrono_literals;

}  // namespace

TEST_CASE("an upstream that breaks off before the body: the script gets 502, not a cut reply") {
  scripted_upstream upstream([](int) {
    return scripted_reply{"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Content-Length: 1000\r\n\r\n{\"par",
                          true};
  });
  gateway_server gateway(fault_gateway(upstream.port()));
  http_client client;
  auto r = get_bib(client, gateway);
  CHECK(r.status == 502);
  CHECK(r.body.find("GENERAL_ERROR") != std::string::npos);
  CHECK(r.body.find("{\"par") == std::string::npos);
  CHECK(r.body.find(fault_key) == std::string::npos);
  CHECK(upstream.requests() == 1);
}

TEST_CASE("an answer whose body comes after its header, in a later write, arrives whole") {
  // As over TLS or a real network: the header in one record or segment, the body in another.
  scripted_upstream upstream([](int) {
    return scripted_reply{"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Content-Length: 11\r\n\r\n{\"mm",
                          false, "s\":\"1\"}"};
  });
  gateway_server gateway(fault_gateway(upstream.port()));
  http_client client(client_options{.keep_alive = true});
  for (int i = 0; i < 2; ++i) {
    CAPTURE(i);
    auto r = get_bib(client, gateway);
    CHECK(r.status == 200);
    CHECK(r.body == "{\"mms\":\"1\"}");
    CHECK(r.header("Content-Length") == "11");
    CHECK(r.header("Content-Type") == "application/json");
    CHECK_FALSE(r.header("X-Request-Id").empty());
  }
  CHECK(upstream.requests() == 2);
  CHECK(upstream.connections() == 1);  // the connection was kept and used again
}

TEST_CASE("an answer cut after its header on a reused connection: 502, and not sent again") {
  // The first answer is whole and the connection pooled; the second is cut in its body. The
  // call reached the upstream, so it is not retried (a DELETE must not run twice).
  scripted_upstream upstream([](int i) {
    if (i == 0) return scripted_reply{ok_reply, false};
    return scripted_reply{"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Content-Length: 11\r\n\r\n{\"mm",
                          true, "s"};
  });
  gateway_server gateway(fault_gateway(upstream.port()));
  http_client client(client_options{.keep_alive = true});
  auto first = get_bib(client, gateway);
  CHECK(first.status == 200);
  auto cut = get_bib(client, gateway);
  CHECK(cut.status == 502);
  CHECK(cut.body.find("GENERAL_ERROR") != std::string::npos);
  CHECK(cut.body.find("{\"mm") == std::string::npos);
  CHECK(upstream.requests() == 2);
}

TEST_CASE("a pooled connection the upstream closed: bodyless calls still answer 200") {
  // Every response keeps the connection alive by its headers, then the upstream closes it:
  // the gateway pools a dead connection each time.
  scripted_upstream upstream([](int) { return scripted_reply{ok_reply, true}; });
  gateway_server gateway(fault_gateway(upstream.port()));
  http_client client(client_options{.keep_alive = true});
  for (int i = 0; i < 5; ++i) {
    auto r = get_bib(client, gateway);
    CAPTURE(i);
    CHECK(r.status == 200);
    CHECK(r.body == "{\"mms\":\"1\"}");
  }
  // Each call reached the upstream once (a dead connection never got the request).
  CHECK(upstream.requests() == 5);
  CHECK(upstream.connections() >= 5);
}

TEST_CASE("a closed access-log pipe does not stop the gateway") {
  // stdout is a pipe whose reader leaves after the first byte: later access lines meet EPIPE.
  scripted_upstream upstream([](int) { return scripted_reply{ok_reply, false}; });
  temp_dir dir;
  auto config = dir.write_file("almagate.yaml", gateway_config(upstream.port()));
  auto port_file = dir.path() / "gw.port";
  process gateway("/bin/sh",
                  {"-c", std::string(ALMAGATE_BIN) + " serve --config '" + config.string() +
                             "' --port-file '" + port_file.string() + "' | head -c 1 >/dev/null"},
                  {{"FAULT_KEY", fault_key}}, process_logs{dir.path(), "gw"});
  auto port = read_port_file(port_file, "listen", std::chrono::seconds(20),
                             [&] { return gateway.running(); });
  http_client client(client_options{.keep_alive = true});
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/almaws/v1/bibs/1";
  for (int i = 0; i < 20; ++i) {
    CAPTURE(i);
    auto r = client.get(url, {{"Authorization", "apikey " + fault_token}});
    REQUIRE(r.status == 200);
  }
  CHECK(gateway.running());
  CHECK(upstream.requests() == 20);
}

TEST_CASE("an upstream's hop-by-hop and gateway fields stop at the gateway; its close is kept") {
  // The usual answer (a 2xx with Content-Length), passed on from its bytes, with fields that
  // must not reach the script and, on the first answer, the upstream closing the connection.
  scripted_upstream upstream([](int i) {
    std::string connection = i == 0 ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
    return scripted_reply{"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + connection +
                              "Keep-Alive: timeout=5\r\nTrailer: X-Sum\r\nX-Request-Id: upstream-own\r\n"
                              "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 11\r\n\r\n"
                              "{\"mms\":\"1\"}",
                          i == 0};
  });
  gateway_server gateway(fault_gateway(upstream.port()));
  http_client client(client_options{.keep_alive = true});
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    auto r = get_bib(client, gateway);
    CHECK(r.status == 200);
    CHECK(r.body == "{\"mms\":\"1\"}");
    CHECK(r.header("Content-Type") == "application/json");
    CHECK(r.header_all("Set-Cookie") == std::vector<std::string>{"a=1", "b=2"});
    CHECK_FALSE(r.has_header("Keep-Alive"));
    CHECK_FALSE(r.has_header("Trailer"));
    CHECK_FALSE(r.has_header("Connection"));  // the script's connection stays open
    CHECK(r.header_all("X-Request-Id").size() == 1);
    CHECK(r.header("X-Request-Id") != "upstream-own");
  }
  CHECK(upstream.requests() == 3);
  // The first connection was closed by the upstream: the others share a second one.
  CHECK(upstream.connections() == 2);
}

TEST_CASE("an upstream that never answers: 504 once upstream_response_timeout has passed") {
  // Each call's request is read and nothing is ever sent back.
  scripted_upstream upstream([](int) { return scripted_reply{"", false}; });
  gateway_server gateway(
      fault_gateway(upstream.port(), "limits: { upstream_response_timeout: 300ms }\n"));
  http_client client;
  const auto began = steady_clock::now();
  auto r = get_bib(client, gateway);
  const auto took = steady_clock::now() - began;
  CHECK(r.status == 504);
  CHECK(r.body.find("GENERAL_ERROR") != std::string::npos);
  CHECK(r.body.find("did not answer in time") != std::string::npos);
  CHECK(took >= 300ms);
  CHECK(upstream.requests() == 1);
}

TEST_CASE("a script's header that never ends: the connection closes at client_header_timeout") {
  scripted_upstream upstream([](int) { return scripted_reply{ok_reply, false}; });
  gateway_server gateway(
      fault_gateway(upstream.port(), "limits: { client_header_timeout: 300ms }\n"));
  script_connection script(gateway.port());
  const auto began = steady_clock::now();
  script.send("GET /almaws/v1/bibs/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  CHECK(script.closed_by_gateway());
  CHECK(steady_clock::now() - began >= 250ms);
  CHECK(upstream.requests() == 0);
}

TEST_CASE("a header that trickles in is closed at client_header_timeout from its first bytes") {
  scripted_upstream upstream([](int) { return scripted_reply{ok_reply, false}; });
  gateway_server gateway(
      fault_gateway(upstream.port(), "limits: { client_header_timeout: 300ms }\n"));
  script_connection script(gateway.port());
  const auto began = steady_clock::now();
  script.send("GET /almaws/v1/bibs/1 HTTP/1.1\r\n");
  // A field line every 100 ms for up to three seconds: each read is in time, the header never
  // ends. (Sent from another thread; the connection's close shows in the reads below.)
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    for (int i = 0; i < 30 && !stop; ++i) {
      std::this_thread::sleep_for(100ms);  // the script's own pace, not a wait for a condition
      if (!script.send_from_other_thread("X-Slow-" + std::to_string(i) + ": x\r\n")) return;
    }
  });
  const bool closed = script.closed_or_reset_by_gateway();
  const auto took = steady_clock::now() - began;
  stop = true;
  trickle.join();
  CHECK(closed);
  CHECK(took >= 250ms);
  CHECK(took < 2s);  // by the header's deadline, not when the script stops sending
  CHECK(upstream.requests() == 0);
}

TEST_CASE("an idle keep-alive connection closes at keepalive_timeout; a busy one stays open") {
  scripted_upstream upstream([](int) { return scripted_reply{ok_reply, false}; });
  gateway_server gateway(fault_gateway(
      upstream.port(), "limits: { keepalive_timeout: 300ms, client_header_timeout: 300ms }\n"));
  script_connection script(gateway.port());
  // Calls on one connection for about three times its deadlines: each call's deadline is its
  // own, so the connection is never closed while it is in use.
  const auto began = steady_clock::now();
  int answered = 0;
  auto last_answer = began;
  for (;;) {
    script.send(call_bytes());
    auto r = script.response();
    last_answer = steady_clock::now();
    CAPTURE(answered);
    REQUIRE(r.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(r.find("Connection: close") == std::string::npos);
    ++answered;
    if (last_answer - began >= 900ms) break;
    std::this_thread::sleep_for(100ms);  // the script's own pace between calls, not a wait
  }
  CHECK(answered >= 5);
  // Then idle: closed once keepalive_timeout has passed since the last answer (the gateway's
  // wait began just before the script had the answer: a little slack).
  CHECK(script.closed_by_gateway());
  CHECK(steady_clock::now() - last_answer >= 250ms);
  CHECK(upstream.requests() == answered);
}
