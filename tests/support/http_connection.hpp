#pragma once
// Internal to the test HTTP client: a parsed URL and one plain or TLS connection.

#include <chrono>
#include <optional>
#include <string>

#include "proxy/io.hpp"

namespace almagate::test::detail {

using clock = std::chrono::steady_clock;

struct origin {
  bool tls = false;
  std::string host;  // as in the URL, for Host, SNI and certificate checks
  std::uint16_t port = 80;
  std::string target;  // path and query, "/" if empty
  std::string host_header() const;
  std::string key() const;  // "https://localhost:1234"
};

// Parses an absolute http:// or https:// URL; nullopt if it is not one.
std::optional<origin> parse_origin(std::string_view url);

class connection {
 public:
  connection(executor ex, ssl::context& tls_context) : ex_(ex), tls_context_(tls_context) {}

  bool is_open() const;
  const std::string& key() const { return key_; }
  void close();
  // Resolves, connects and (for https) handshakes, all before `deadline`.
  awaitable<error_code> open(const origin& o, clock::time_point deadline);
  // The lowest layer, to set deadlines.
  plain_stream& tcp();

  // Calls f(stream) with the plain or the TLS stream.
  template <class F>
  auto visit(F&& f) {
    return tls_ ? f(*tls_) : f(*plain_);
  }

 private:
  executor ex_;
  ssl::context& tls_context_;
  std::string key_;
  std::optional<plain_stream> plain_;
  std::optional<tls_stream> tls_;
};

}  // namespace almagate::test::detail
