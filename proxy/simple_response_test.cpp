#include "proxy/simple_response.hpp"

#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "proxy/header_meaning_test_support.hpp"
#include "proxy/headers.hpp"

using namespace almagate;

namespace {

const std::vector<extra_field> replaced{{"X-Request-Id", ""},
                                        {"RateLimit-Policy", ""},
                                        {"RateLimit", ""},
                                        {"X-Exl-Api-Remaining", ""}};
const std::vector<extra_field> added{{"X-Request-Id", "0123456789abcdef"},
                                     {"RateLimit-Policy", "\"day\";q=1000;w=86400"},
                                     {"RateLimit", "\"day\";r=999;t=3600"},
                                     {"X-Exl-Api-Remaining", "999"}};

struct beast_view {
  bool parsed = false;
  bool keep_alive = false;
  std::uint64_t content_length = 0;
  std::string header;  // as the gateway's Beast path writes it
};

// What the gateway's Beast path makes of `bytes`: parse, strip, replace, format.
beast_view through_beast(std::string_view bytes, bool close) {
  http::response_parser<http::buffer_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(boost::none);
  error_code ec;
  parser.put(net::buffer(bytes.data(), bytes.size()), ec);
  beast_view v;
  if (ec || !parser.is_header_done()) return v;
  auto& res = parser.get();
  v.parsed = true;
  v.keep_alive = res.keep_alive();
  v.content_length = parser.content_length().value_or(~0ull);
  strip_hop_by_hop(res);
  for (const auto& f : replaced) res.erase(f.name);
  res.keep_alive(!close);
  v.header = wire_header(res, added);
  return v;
}

std::string fast_header(const simple_response& r, bool close) {
  std::string out;
  write_simple_response_header(r, replaced, close, added, out);
  return out;
}

std::optional<simple_response> recognise(std::string_view bytes) {
  auto end = header_end(bytes);
  REQUIRE(end != std::string_view::npos);
  simple_response r;
  if (!recognise_simple_response(bytes.substr(0, end), r)) return std::nullopt;
  return r;
}

}  // namespace

TEST_CASE("simple_response: Alma's usual answer, passed on as the Beast path passes it") {
  const std::string bytes =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/xml;charset=UTF-8\r\n"
      "X-Exl-Api-Remaining: 4321\r\n"
      "Connection: keep-alive\r\n"
      "Keep-Alive: timeout=5\r\n"
      "x-request-id: upstream-own\r\n"
      "Content-Length:   120  \r\n"
      "\r\n<bib/>";
  CHECK(header_end(bytes) == bytes.size() - 6);
  auto r = recognise(bytes);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->content_length == 120);
  CHECK(r->keep_alive);
  CHECK(r->exl_remaining == "4321");
  CHECK(r->header_bytes == bytes.size() - 6);
  for (bool close : {false, true}) {
    auto beast = through_beast(bytes, close);
    REQUIRE(beast.parsed);
    CHECK(fast_header(*r, close) == beast.header);
  }
  CHECK(fast_header(*r, false) ==
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: application/xml;charset=UTF-8\r\n"
        "Content-Length: 120\r\n"
        "X-Request-Id: 0123456789abcdef\r\n"
        "RateLimit-Policy: \"day\";q=1000;w=86400\r\n"
        "RateLimit: \"day\";r=999;t=3600\r\n"
        "X-Exl-Api-Remaining: 999\r\n\r\n");
}

TEST_CASE("simple_response: Connection: close is seen, and the gateway's own close is written") {
  auto r = recognise("HTTP/1.1 201 Created\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(r);
  CHECK_FALSE(r->keep_alive);
  CHECK(r->content_length == 0);
  CHECK(fast_header(*r, true).find("\r\nConnection: close\r\nX-Request-Id: ") != std::string::npos);
}

TEST_CASE("simple_response: lines written as received are copied whole, others rewritten") {
  // Lines next to each other go out in one copy; a line with other spacing is written anew.
  const std::string answer =
      "HTTP/1.1 200 OK\r\nA: 1\r\nB:2\r\nC:  3 \r\nD: \r\nx-exl-api-remaining: 9\r\n"
      "E: 5\r\nContent-Length: 0\r\nTE: x\r\nF: \xe9\t6\r\n\r\n";
  auto r = recognise(answer);
  REQUIRE(r);
  std::string out = "kept|";
  write_simple_response_header(*r, replaced, false, {}, out);
  CHECK(out ==
        "kept|HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: \r\nE: 5\r\n"
        "Content-Length: 0\r\nF: \xe9\t6\r\n\r\n");
  CHECK(fast_header(*r, false) == through_beast(answer, false).header);
}

TEST_CASE("simple_response: one object recognises answer after answer, nothing left over") {
  simple_response r;
  const std::string first =
      "HTTP/1.1 201 Created\r\nConnection: close\r\nX-Exl-Api-Remaining: 7\r\nA: 1\r\nB: 2\r\n"
      "Content-Length: 9\r\n\r\n";
  REQUIRE(recognise_simple_response(first, r));
  CHECK(r.field_count == 5);
  const std::string second = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n";
  REQUIRE(recognise_simple_response(second, r));
  CHECK(r.status == 200);
  CHECK(r.content_length == 3);
  CHECK(r.keep_alive);
  CHECK(r.exl_remaining.empty());
  CHECK(r.field_count == 1);
  CHECK(r.header_bytes == second.size());
}

TEST_CASE("simple_response: anything unusual is left to Beast's parser") {
  const char* cases[] = {
      "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 205 Reset Content\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 100 Continue\r\n\r\n",
      "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Bad: a\x01z\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Bad : a\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\n: a\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Bare: a\nb\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nConnection: upgrade\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nProxy-Connection: keep-alive\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nConnection: close, X-Private\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 O\x7fK\r\nContent-Length: 0\r\n\r\n",
  };
  for (const char* c : cases) {
    CAPTURE(c);
    CHECK_FALSE(recognise(c));
  }
  CHECK(header_end("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n") == std::string_view::npos);
  CHECK(header_end("HTTP/1.1 200 OK\nContent-Length: 0\n\n") == std::string_view::npos);
  std::string many = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n";
  for (std::size_t i = 1; i < simple_response::max_fields; ++i) many += "X-F: 1\r\n";
  CHECK(recognise(many + "\r\n"));
  CHECK_FALSE(recognise(many + "X-F: 1\r\n\r\n"));
  CHECK(through_beast(many + "X-F: 1\r\n\r\n", false).parsed);
  CHECK_FALSE(recognise("HTTP/1.1 200 OK\r\nX-Big: " + std::string(64 * 1024, 'a') +
                        "\r\nContent-Length: 0\r\n\r\n"));
}

TEST_CASE("simple_response: means what the Beast path means, on 20,000 generated answers") {
  std::mt19937 rng(20261129);
  auto pick = [&](auto const& list) { return list[rng() % std::size(list)]; };
  const char* names[] = {"Content-Type", "content-type", "X-Exl-Api-Remaining", "x-exl-api-remaining",
                         "X-Request-Id", "RATELIMIT",    "RateLimit-Policy",    "Keep-Alive",
                         "Proxy-Connection", "TE",       "Trailer",             "Upgrade",
                         "Proxy-Authenticate", "Vary",   "Set-Cookie",          "X-Odd_Name!",
                         "Date",               "ETag",   "Retry-After",         "Server"};
  const char* values[] = {"", "x", "a b", "\"quoted, with comma\"", "ümlaut", "tab\there",
                          "application/json;charset=UTF-8", "99", "Thu, 01 Jan 2026 00:00:00 GMT"};
  const char* spaces[] = {"", " ", "  ", "\t", " \t "};
  const char* connections[] = {"keep-alive", "close", "Keep-Alive, close", "CLOSE", "upgrade"};
  const char* statuses[] = {"200 OK", "201 Created", "202 Accepted", "203 Non-Authoritative Information",
                            "206 Partial Content", "204 No Content", "299 Whatever it is",
                            "200 OK then some", "404 Not Found"};
  int recognised = 0, without_repeats = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string bytes = std::string("HTTP/1.1 ") + pick(statuses) + "\r\n";
    const int fields = static_cast<int>(rng() % 8);
    const int length_at = static_cast<int>(rng() % (fields + 1));
    for (int f = 0; f <= fields; ++f) {
      if (f == length_at && rng() % 16 != 0)
        bytes += std::string(rng() % 2 ? "Content-Length:" : "content-length:") + pick(spaces) +
                 std::to_string(rng() % 100000) + pick(spaces) + "\r\n";
      if (f == fields) break;
      if (rng() % 8 == 0) {
        bytes += std::string("Connection:") + pick(spaces) + pick(connections) + "\r\n";
        continue;
      }
      bytes += std::string(pick(names)) + ":" + pick(spaces) + pick(values) + pick(spaces) + "\r\n";
    }
    bytes += "\r\n";
    CAPTURE(bytes);
    auto fast = recognise(bytes);
    const bool close = rng() % 4 == 0;
    auto beast = through_beast(bytes, close);
    if (!fast) continue;
    ++recognised;
    REQUIRE(beast.parsed);
    CHECK(fast->keep_alive == beast.keep_alive);
    CHECK(fast->content_length == beast.content_length);
    const std::string mine = fast_header(*fast, close);
    CHECK(mine.substr(0, mine.find("\r\n")) == beast.header.substr(0, beast.header.find("\r\n")));
    CHECK(almagate::test::fields_by_name(mine) == almagate::test::fields_by_name(beast.header));
    if (!almagate::test::has_repeated_names(mine)) {
      ++without_repeats;
      CHECK(mine == beast.header);
    }
  }
  CHECK(recognised > 5000);
  CHECK(without_repeats > 1000);
}
