#pragma once
// Keep-alive connections to the upstream (Alma), one pool per event loop: no locks.

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>

#include "policy/config.hpp"
#include "proxy/deadline.hpp"
#include "proxy/io.hpp"
#include "proxy/tls_socket.hpp"

namespace almagate {

// Held by pointer only: `watch` refers to the stream.
struct upstream_connection {
  explicit upstream_connection(plain_stream s) : stream(std::move(s)), watch(tcp().get_executor(), tcp()) {}
  explicit upstream_connection(tls_socket s) : stream(std::move(s)), watch(tcp().get_executor(), tcp()) {}
  upstream_connection(const upstream_connection&) = delete;
  upstream_connection& operator=(const upstream_connection&) = delete;

  std::variant<plain_stream, tls_socket> stream;
  deadline watch;  // of the read or write under way (Beast's stream timers stay unarmed)
  beast::flat_buffer buffer;  // bytes read past the last response
  std::string pool_key;
  bool reused = false;  // taken from the idle list, not freshly connected
  std::chrono::steady_clock::time_point idle_since;

  plain_stream& tcp() {
    return std::visit(
        [](auto& s) -> plain_stream& { return beast::get_lowest_layer(s); }, stream);
  }
};
using upstream_connection_ptr = std::unique_ptr<upstream_connection>;

// Why a connection could not be had; the call never reached the upstream.
enum class connect_failure { none, resolve, connect, tls, timeout };

struct connect_result {
  upstream_connection_ptr connection;
  connect_failure failure = connect_failure::none;
  error_code ec;
};

class upstream_pool {
 public:
  upstream_pool(executor ex, ssl::context& tls_context) : ex_(ex), tls_context_(tls_context) {}

  // An idle connection to `upstream`, or a new one (resolve, connect, TLS handshake with
  // certificate and host-name verification), all within `connect_timeout`. An idle connection
  // is first checked for a close by the upstream (a non-blocking peek), unless `may_skip_check`
  // and it was idle for less than a second: a bodyless call can be retried on a fresh
  // connection if it finds the connection dead, and skips that system call.
  awaitable<connect_result> acquire(const upstream_url& upstream,
                                    std::chrono::milliseconds connect_timeout,
                                    bool may_skip_check = false);

  // The idle-connection part of acquire() alone, with no coroutine frame: nullptr when
  // acquire() has to connect.
  upstream_connection_ptr try_idle(const upstream_url& upstream, bool may_skip_check = false) {
    return take_idle(upstream.text, max_idle_, may_skip_check, std::chrono::steady_clock::now());
  }

  // Gives a connection back for reuse once its last response was read whole (at `now`: the
  // caller's clock reading, if it has one at hand).
  void release(upstream_connection_ptr connection, const limits& limit,
               std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

  std::size_t idle_count() const;

 private:
  upstream_connection_ptr take_idle(const std::string& key, std::chrono::milliseconds max_idle,
                                    bool may_skip_check, std::chrono::steady_clock::time_point now);

  executor ex_;
  ssl::context& tls_context_;
  std::unordered_map<std::string, std::deque<upstream_connection_ptr>> idle_;
  std::chrono::milliseconds max_idle_{50'000};
};

// The TLS context for upstream connections: system CAs plus `upstream_ca`, peer verified.
std::unique_ptr<ssl::context> make_upstream_tls_context(const std::string& upstream_ca);

}  // namespace almagate
