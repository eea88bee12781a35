#include "tests/support/http_connection.hpp"

#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/url/parse.hpp>

#include <openssl/ssl.h>

namespace almagate::test::detail {

std::string origin::host_header() const {
  const bool default_port = port == (tls ? 443 : 80);
  return default_port ? host : host + ":" + std::to_string(port);
}

std::string origin::key() const {
  return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(port);
}

std::optional<origin> parse_origin(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return std::nullopt;
  const auto& u = *parsed;
  origin o;
  if (u.scheme() == "https") {
    o.tls = true;
    o.port = 443;
  } else if (u.scheme() != "http") {
    return std::nullopt;
  }
  o.host = std::string(u.encoded_host());
  if (o.host.empty()) return std::nullopt;
  if (u.has_port()) o.port = u.port_number();
  o.target = std::string(u.encoded_target());
  if (o.target.empty()) o.target = "/";
  return o;
}

bool connection::is_open() const {
  if (tls_) return beast::get_lowest_layer(*tls_).socket().is_open();
  return plain_ && plain_->socket().is_open();
}

void connection::close() {
  error_code ignored;
  if (tls_) beast::get_lowest_layer(*tls_).socket().close(ignored);
  if (plain_) plain_->socket().close(ignored);
  tls_.reset();
  plain_.reset();
  key_.clear();
}

plain_stream& connection::tcp() {
  return tls_ ? beast::get_lowest_layer(*tls_) : *plain_;
}

awaitable<error_code> connection::open(const origin& o, clock::time_point deadline) {
  close();
  // Tests talk to loopback only: "localhost" is 127.0.0.1, never ::1.
  const std::string address = o.host == "localhost" ? "127.0.0.1" : o.host;
  const std::string service = std::to_string(o.port);
  tcp_resolver resolver(ex_);
  // Locals, not temporaries, in co_await expressions: GCC 12 mishandles the latter.
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(address, service, use_tuple);
  if (resolve_ec) co_return resolve_ec;

  if (o.tls) {
    tls_.emplace(ex_, tls_context_);
    error_code ip_ec;
    net::ip::make_address(o.host, ip_ec);
    // SNI carries host names only, never IP literals.
    if (ip_ec && !SSL_set_tlsext_host_name(tls_->native_handle(), o.host.c_str()))
      co_return error_code(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category());
    tls_->set_verify_mode(ssl::verify_peer);
    tls_->set_verify_callback(ssl::host_name_verification(o.host));
  } else {
    plain_.emplace(ex_);
  }
  tcp().expires_at(deadline);
  auto [connect_ec, ep] = co_await tcp().async_connect(endpoints, use_tuple);
  if (connect_ec) {
    close();
    co_return connect_ec;
  }
  if (tls_) {
    tcp().expires_at(deadline);
    auto [hs_ec] = co_await tls_->async_handshake(ssl::stream_base::client, use_tuple);
    if (hs_ec) {
      close();
      co_return hs_ec;
    }
  }
  key_ = o.key();
  co_return error_code{};
}

}  // namespace almagate::test::detail
