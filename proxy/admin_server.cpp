#include "proxy/admin_server.hpp"

#include "policy/alma_error.hpp"
#include "proxy/admin_routes.hpp"
#include "proxy/request_id.hpp"

namespace almagate {

namespace {

bool is_normal_ending(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::operation_aborted || ec == net::error::connection_reset ||
         ec == beast::error::timeout || ec == http::error::partial_message;
}

admin_response refusal_response(unsigned status, std::string_view message) {
  auto id = new_request_id();
  admin_response res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, content_type_of(body_format::json));
  res.set("X-Request-Id", id);
  res.body() = alma_error_body(body_format::json,
                               status == 413 ? "REQUEST_TOO_LARGE" : "INVALID_REQUEST", message, id);
  res.keep_alive(false);
  res.prepare_payload();
  return res;
}

}  // namespace

awaitable<void> serve_admin_connection(tcp_socket socket, admin_backend& backend,
                                       admin_connection_limits limits) {
  plain_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  bool first = true;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(limits.max_header_bytes);
    parser.body_limit(limits.max_body_bytes);
    // Idle wait and the request itself share one deadline: a slow client cannot hold us.
    stream.expires_after(first ? limits.read_timeout : limits.keepalive_timeout + limits.read_timeout);
    first = false;
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (ec) {
      if (is_normal_ending(ec)) break;
      bool too_large = ec == http::error::body_limit || ec == http::error::header_limit;
      auto res = too_large ? refusal_response(413, "The request is too large.")
                           : refusal_response(400, "The request is not valid HTTP.");
      stream.expires_after(limits.write_timeout);
      co_await http::async_write(stream, res, use_tuple);
      break;
    }
    auto request = parser.release();
    auto res = co_await handle_admin_request(request, backend);
    stream.expires_after(limits.write_timeout);
    auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
    if (wec || !res.keep_alive()) break;
  }
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace almagate
