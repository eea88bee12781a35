#include "proxy/wire.hpp"

#include <doctest/doctest.h>

#include <sstream>

using namespace almagate;

namespace {
template <class Header>
std::string beast_header(const Header& h) {
  std::ostringstream os;
  os << h;  // Beast's own writer of a header
  return os.str();
}
}  // namespace

TEST_CASE("wire_header writes a request header byte for byte as Beast does") {
  http::request<http::empty_body> req{http::verb::get, "/almaws/v1/bibs/99?view=full&x=%20", 11};
  req.set(http::field::host, "api-na.hosted.exlibrisgroup.com");
  req.set(http::field::authorization, "apikey l7xx-secret");
  req.insert("X-Odd-Case", "  spaced value ");
  req.insert("X-Odd-Case", "second");
  CHECK(wire_header(req) == beast_header(req.base()));
  CHECK(wire_header(req).starts_with("GET /almaws/v1/bibs/99?view=full&x=%20 HTTP/1.1\r\n"));
  CHECK(wire_header(req).ends_with("\r\n\r\n"));

  http::request<http::empty_body> odd;
  odd.method_string("PROPFIND");
  odd.target("/x");
  odd.version(10);
  CHECK(wire_header(odd) == beast_header(odd.base()));
}

TEST_CASE("wire_header writes a response header as Beast does, with the upstream's reason") {
  http::response<http::empty_body> res{http::status::ok, 11};
  res.set(http::field::content_type, "application/json;charset=UTF-8");
  res.set(http::field::content_length, "11");
  res.set("X-Request-Id", "r-1");
  CHECK(wire_header(res) == beast_header(res.base()));
  CHECK(wire_header(res).starts_with("HTTP/1.1 200 OK\r\n"));

  res.result(429);
  res.reason("Too Many Requests Now");
  CHECK(wire_header(res) == beast_header(res.base()));
  CHECK(wire_header(res).starts_with("HTTP/1.1 429 Too Many Requests Now\r\n"));

  http::response<http::empty_body> unknown;
  unknown.result(599);
  unknown.version(11);
  CHECK(wire_header(unknown) == beast_header(unknown.base()));
}

TEST_CASE("wire_header writes the extra fields after the message's own, as if inserted") {
  http::response<http::empty_body> res{http::status::ok, 11};
  res.set(http::field::content_type, "application/xml");
  const std::array<extra_field, 2> extra{{{"X-Request-Id", "0123456789abcdef"},
                                          {"RateLimit", "\"daily\";r=5;t=60"}}};
  auto expected = res;
  expected.insert("X-Request-Id", "0123456789abcdef");
  expected.insert("RateLimit", "\"daily\";r=5;t=60");
  CHECK(wire_header(res, extra) == beast_header(expected.base()));
  CHECK(wire_header(res, {}) == beast_header(res.base()));
}

TEST_CASE("own_response_header writes what Beast's message of the same fields would") {
  const std::array<extra_field, 2> extra{
      {{"X-Request-Id", "0123456789abcdef"}, {"Retry-After", "3600"}}};
  for (unsigned status : {400u, 401u, 403u, 404u, 413u, 429u, 502u, 503u, 504u})
    for (unsigned version : {10u, 11u})
      for (bool keep_alive : {true, false})
        for (std::size_t length : {std::size_t{0}, std::size_t{7}, std::size_t{312}}) {
          CAPTURE(status);
          CAPTURE(version);
          CAPTURE(keep_alive);
          http::response<http::string_body> res{static_cast<http::status>(status), version};
          res.set(http::field::content_type, "application/json;charset=UTF-8");
          res.body() = std::string(length, 'x');
          res.keep_alive(keep_alive);
          res.prepare_payload();
          CHECK(own_response_header(status, version, "application/json;charset=UTF-8", length,
                                    keep_alive, extra) == wire_header(res, extra));
        }
}
