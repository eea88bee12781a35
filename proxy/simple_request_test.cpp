#include "proxy/simple_request.hpp"

#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "proxy/header_meaning_test_support.hpp"
#include "proxy/headers.hpp"
#include "proxy/simple_response.hpp"
#include "proxy/wire.hpp"

using namespace almagate;

namespace {

constexpr std::size_t header_limit = 8192;
constexpr std::string_view upstream_target = "/almaws/v1/bibs/99?view=full";
constexpr std::string_view key = "apikey l7xx-upstream-key";
constexpr std::string_view upstream_host = "api-eu.hosted.exlibrisgroup.com";

struct beast_view {
  bool parsed = false;
  bool done = false;  // no body to read
  std::string method, target, accept, host;
  unsigned version = 0;
  bool keep_alive = false;
  bool has_method_override = false;
  std::vector<std::string> authorization;
  std::string forwarded;  // as the gateway's Beast path sends it upstream
};

// What the gateway's Beast path makes of `bytes` (session.cpp: handle_call, forward).
beast_view through_beast(std::string_view bytes) {
  http::request_parser<http::buffer_body> parser;
  parser.header_limit(header_limit);
  error_code ec;
  parser.put(net::buffer(bytes.data(), bytes.size()), ec);
  beast_view v;
  if (ec || !parser.is_header_done()) return v;
  auto& req = parser.get();
  v.parsed = true;
  v.done = parser.is_done();
  v.method = req.method_string();
  v.target = req.target();
  v.version = req.version();
  v.keep_alive = req.keep_alive();
  v.accept = req[http::field::accept];
  v.host = req[http::field::host];
  v.has_method_override = has_method_override(req);
  for (auto it = req.find(http::field::authorization);
       it != req.end() && it->name() == http::field::authorization; ++it)
    v.authorization.emplace_back(it->value());
  req.target(upstream_target);
  strip_hop_by_hop(req);
  strip_client_credentials(req);
  req.erase(http::field::expect);
  req.set(http::field::authorization, key);
  req.set(http::field::host, upstream_host);
  req.version(11);
  req.keep_alive(true);
  v.forwarded = wire_header(req);
  return v;
}

std::string forwarded(const simple_request& r) {
  std::string out;
  write_forwarded_request_header(r, upstream_target, key, upstream_host, out);
  return out;
}

std::optional<simple_request> recognise(std::string_view bytes) {
  auto end = header_end(bytes);
  REQUIRE(end != std::string_view::npos);
  simple_request r;
  if (!recognise_simple_request(bytes.substr(0, end), header_limit, r)) return std::nullopt;
  return r;
}

}  // namespace

TEST_CASE("simple_request: a script's usual call, forwarded as the Beast path forwards it") {
  const std::string bytes =
      "GET /almaws/v1/bibs/99?apikey=agt_token&view=full HTTP/1.1\r\n"
      "Host: gateway.library.edu:8080\r\n"
      "User-Agent: python-requests/2.31\r\n"
      "Accept-Encoding: gzip, deflate\r\n"
      "Accept: application/json\r\n"
      "Connection: keep-alive\r\n"
      "Authorization: Bearer agt_token\r\n"
      "X-HTTP-Method-Override: DELETE\r\n"
      "\r\n";
  auto r = recognise(bytes);
  REQUIRE(r);
  CHECK(r->method == "GET");
  CHECK(r->target == "/almaws/v1/bibs/99?apikey=agt_token&view=full");
  CHECK(r->version == 11);
  CHECK(r->keep_alive);
  CHECK(r->has_method_override);
  CHECK(r->accept == "application/json");
  CHECK(r->host == "gateway.library.edu:8080");
  REQUIRE(r->authorization_count == 1);
  CHECK(r->authorization[0] == "Bearer agt_token");
  CHECK(r->header_bytes == bytes.size());
  auto beast = through_beast(bytes);
  REQUIRE(beast.parsed);
  CHECK(forwarded(*r) == beast.forwarded);
  CHECK(forwarded(*r) ==
        "GET /almaws/v1/bibs/99?view=full HTTP/1.1\r\n"
        "User-Agent: python-requests/2.31\r\n"
        "Accept-Encoding: gzip, deflate\r\n"
        "Accept: application/json\r\n"
        "Authorization: apikey l7xx-upstream-key\r\n"
        "Host: api-eu.hosted.exlibrisgroup.com\r\n\r\n");
}

TEST_CASE("simple_request: one object recognises call after call, nothing left over") {
  simple_request r;
  const std::string first =
      "HEAD /a HTTP/1.0\r\nHost: h\r\nAccept: text/xml\r\nAuthorization: apikey t\r\n"
      "X-Method-Override: PUT\r\nConnection: keep-alive\r\n\r\n";
  REQUIRE(recognise_simple_request(first, header_limit, r));
  CHECK(r.authorization_count == 1);
  const std::string second = "GET /b HTTP/1.1\r\n\r\n";
  REQUIRE(recognise_simple_request(second, header_limit, r));
  CHECK(r.method == "GET");
  CHECK(r.target == "/b");
  CHECK(r.version == 11);
  CHECK(r.keep_alive);
  CHECK_FALSE(r.has_method_override);
  CHECK(r.accept.empty());
  CHECK(r.host.empty());
  CHECK(r.authorization_count == 0);
  CHECK(r.field_count == 0);
  CHECK(r.header_bytes == second.size());
  REQUIRE(recognise_simple_request("GET /c HTTP/1.0\r\n\r\n", header_limit, r));
  CHECK_FALSE(r.keep_alive);
}

TEST_CASE("simple_request: HTTP/1.0 keeps the connection only when it asks to") {
  auto r = recognise("GET /x HTTP/1.0\r\nHost: h\r\n\r\n");
  REQUIRE(r);
  CHECK(r->version == 10);
  CHECK_FALSE(r->keep_alive);
  r = recognise("GET /x HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
  REQUIRE(r);
  CHECK(r->keep_alive);
  r = recognise("DELETE /x HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(r);
  CHECK_FALSE(r->keep_alive);
}

TEST_CASE("simple_request: bodies and anything unusual are left to Beast's parser") {
  const char* cases[] = {
      "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\n",
      "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "PUT /x HTTP/1.1\r\nContent-Length: 00\r\n\r\n",
      "PUT /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
      "GET /x HTTP/1.1\r\nProxy-Connection: keep-alive\r\n\r\n",
      "GET /x HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
      "GET /x HTTP/1.1\r\nConnection: close\r\nConnection: close\r\n\r\n",
      "GET /x HTTP/1.1\r\nAuthorization: a\r\nAuthorization: b\r\nAuthorization: c\r\n"
      "Authorization: d\r\nAuthorization: e\r\n\r\n",
      "get /x HTTP/1.1\r\n\r\n",
      "GET  /x HTTP/1.1\r\n\r\n",
      "GET /x HTTP/2.0\r\n\r\n",
      "GET /x HTTP/1.1 \r\n\r\n",
      "GET /\xc3\xa9 HTTP/1.1\r\n\r\n",
      "GET /x HTTP/1.1\r\nX-Folded: a\r\n b\r\n\r\n",
      "GET /x HTTP/1.1\r\nX-Bad: a\x01z\r\n\r\n",
      "GET /x HTTP/1.1\r\nX-Bad : a\r\n\r\n",
  };
  for (const char* c : cases) {
    CAPTURE(c);
    CHECK_FALSE(recognise(c));
  }
  std::string big = "GET /x HTTP/1.1\r\nX-Big: " + std::string(header_limit, 'a') + "\r\n\r\n";
  CHECK_FALSE(recognise(big));
}

TEST_CASE("simple_request: means what the Beast path means, on 20,000 generated calls") {
  std::mt19937 rng(20261129);
  auto pick = [&](auto const& list) { return list[rng() % std::size(list)]; };
  const char* lines[] = {"GET /almaws/v1/bibs/1 HTTP/1.1", "HEAD /x?y=z HTTP/1.1",
                         "DELETE /almaws/v1/users/5?apikey=t HTTP/1.1", "GET /x HTTP/1.0",
                         "OPTIONS * HTTP/1.1", "GET http://h/x HTTP/1.1"};
  const char* names[] = {"Host", "host", "Accept", "ACCEPT", "Authorization", "authorization",
                         "User-Agent", "Keep-Alive", "TE", "Trailer", "Upgrade",
                         "Proxy-Authorization", "X-HTTP-Method", "x-method-override",
                         "X-HTTP-Method-Override", "Cookie", "X-Odd_Name!", "Accept-Encoding"};
  const char* values[] = {"", "x", "a b", "\"quoted, with comma\"", "ümlaut", "tab\there",
                          "apikey agt_123", "application/xml", "trailers"};
  const char* spaces[] = {"", " ", "  ", "\t", " \t "};
  const char* connections[] = {"keep-alive", "close", "Keep-Alive, close", "CLOSE", "te"};
  int recognised = 0, without_repeats = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string bytes = std::string(pick(lines)) + "\r\n";
    const int fields = static_cast<int>(rng() % 9);
    for (int f = 0; f < fields; ++f) {
      switch (rng() % 10) {
        case 0:
          bytes += std::string("Connection:") + pick(spaces) + pick(connections) + "\r\n";
          break;
        case 1:
          bytes += std::string("Content-Length:") + pick(spaces) + "0" + pick(spaces) + "\r\n";
          break;
        default:
          bytes += std::string(pick(names)) + ":" + pick(spaces) + pick(values) + pick(spaces) +
                   "\r\n";
      }
    }
    bytes += "\r\n";
    CAPTURE(bytes);
    auto fast = recognise(bytes);
    auto beast = through_beast(bytes);
    if (!fast) continue;
    ++recognised;
    REQUIRE(beast.parsed);
    CHECK(beast.done);
    CHECK(fast->method == beast.method);
    CHECK(fast->target == beast.target);
    CHECK(fast->version == beast.version);
    CHECK(fast->keep_alive == beast.keep_alive);
    CHECK(fast->has_method_override == beast.has_method_override);
    CHECK(fast->accept == beast.accept);
    CHECK(fast->host == beast.host);
    std::vector<std::string> authorization(fast->authorization.begin(),
                                           fast->authorization.begin() +
                                               static_cast<long>(fast->authorization_count));
    CHECK(authorization == beast.authorization);
    const std::string mine = forwarded(*fast);
    CHECK(mine.substr(0, mine.find("\r\n")) ==
          beast.forwarded.substr(0, beast.forwarded.find("\r\n")));
    CHECK(almagate::test::fields_by_name(mine) == almagate::test::fields_by_name(beast.forwarded));
    if (!almagate::test::has_repeated_names(mine)) {
      ++without_repeats;
      CHECK(mine == beast.forwarded);
    }
  }
  CHECK(recognised > 5000);
  CHECK(without_repeats > 1000);
}
