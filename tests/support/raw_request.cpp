#include <boost/asio/connect.hpp>

#include "proxy/io.hpp"
#include "tests/support/http_client.hpp"

namespace almagate::test {
namespace {

// Whether `text` starts with one complete HTTP response.
bool complete_response(const std::string& text) {
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  parser.body_limit(boost::none);
  error_code ec;
  std::size_t used = 0;
  while (!ec && !parser.is_done() && used < text.size())
    used += parser.put(net::buffer(text.data() + used, text.size() - used), ec);
  return parser.is_done();
}

awaitable<void> exchange(std::string host, std::uint16_t port, std::string bytes,
                         std::chrono::milliseconds timeout, std::string& out) {
  auto ex = co_await net::this_coro::executor;
  plain_stream stream(ex);
  stream.expires_after(timeout);
  tcp_resolver resolver(ex);
  // Locals, not temporaries, in co_await expressions: GCC 12 mishandles the latter.
  const std::string address = host == "localhost" ? "127.0.0.1" : host;
  const std::string service = std::to_string(port);
  auto [rec, endpoints] = co_await resolver.async_resolve(address, service, use_tuple);
  if (rec) co_return;
  auto [cec, ep] = co_await stream.async_connect(endpoints, use_tuple);
  if (cec) co_return;
  // A write error is not the end: the server may have answered before closing.
  co_await net::async_write(stream, net::buffer(bytes), use_tuple);
  char chunk[16 * 1024];
  for (;;) {
    auto [ec, n] = co_await stream.async_read_some(net::buffer(chunk), use_tuple);
    out.append(chunk, n);
    if (ec || complete_response(out)) co_return;
  }
}

}  // namespace

std::string raw_request(const std::string& host, std::uint16_t port, std::string_view bytes,
                        std::chrono::milliseconds timeout) {
  net::io_context io;
  std::string out;
  net::co_spawn(io, exchange(host, port, std::string(bytes), timeout, out), net::detached);
  io.run();
  return out;
}

}  // namespace almagate::test
