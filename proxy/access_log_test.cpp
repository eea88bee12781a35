#include "proxy/access_log.hpp"

#include <doctest/doctest.h>
#include <poll.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <algorithm>
#include <cstdio>
#include <limits>
#include <string>
#include <thread>
#include <vector>

using namespace almagate;
namespace json = boost::json;

TEST_CASE("access line: one JSON object, strings escaped, numbers as numbers") {
  access_record r;
  r.request_id = "req-1";
  r.client = "spine-labels";
  r.environment = "production";
  r.area = "bibs";
  r.access = "read";
  r.method = "GET";
  // Sized by the literal: a length counted by hand read past its end.
  static constexpr char path[] = "/almaws/v1/bibs/1?q=\"a\\b\"\n\t\x01z";
  r.path = std::string_view(path, sizeof path - 1);
  r.status = 200;
  r.outcome = "forwarded";
  r.upstream_ms = 12.3456;
  r.wait_ms = 0.5;
  r.total_ms = 13;
  r.bytes_in = 0;
  r.bytes_out = 1234567890123ULL;
  const std::string line = format_access_line(r);
  CAPTURE(line);
  CHECK(line.find('\n') == std::string::npos);
  auto v = json::parse(line).as_object();
  CHECK(v.at("path").as_string() == r.path);
  CHECK(line.find("\\u0001z") != std::string::npos);
  CHECK(v.at("client").as_string() == "spine-labels");
  CHECK(v.at("status").as_int64() == 200);
  CHECK(v.at("upstream_ms").as_double() == doctest::Approx(12.346));
  CHECK(line.find("\"upstream_ms\":12.346,") != std::string::npos);
  CHECK(line.find("\"wait_ms\":0.500,") != std::string::npos);
  CHECK(line.find("\"total_ms\":13.000,") != std::string::npos);
  r.total_ms = 0.0004;
  CHECK(format_access_line(r).find("\"total_ms\":0.000,") != std::string::npos);
  r.total_ms = 1999.9996;
  CHECK(format_access_line(r).find("\"total_ms\":2000.000,") != std::string::npos);
  CHECK(v.at("bytes_out").as_int64() == 1234567890123LL);
  CHECK_FALSE(v.contains("error_code"));
  // "2026-11-29T02:15:07.123Z"
  std::string time(v.at("time").as_string());
  REQUIRE(time.size() == 24u);
  CHECK(time[10] == 'T');
  CHECK(time[19] == '.');
  CHECK(time[23] == 'Z');
}

TEST_CASE("access line: a call that never reached the upstream has no upstream_ms, no wait") {
  access_record r;
  r.status = 403;
  r.outcome = "refused";
  r.error_code = "UNAUTHORIZED";
  const std::string line = format_access_line(r);
  auto v = json::parse(line).as_object();
  CHECK(v.at("error_code").as_string() == "UNAUTHORIZED");
  CHECK_FALSE(v.contains("upstream_ms"));
  CHECK_FALSE(v.contains("wait_ms"));
}

namespace {
// The escaping the log promises, one byte at a time: '"', '\\' and control characters escaped
// (\n, \r, \t by name, the rest as \u00xx), every other byte (DEL, UTF-8) as it is.
std::string escaped_one_by_one(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view after_time(const std::string& line) {
  // {"time":"2026-11-29T02:15:07.123Z"
  REQUIRE(line.size() > 34u);
  return std::string_view(line).substr(34);
}
}  // namespace

TEST_CASE("access line: every byte value, at every offset, is escaped as JSON wants") {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  access_record r;
  r.path = all;
  std::string line = format_access_line(r);
  CHECK(line.find("\"path\":\"" + escaped_one_by_one(all) + "\"") != std::string::npos);
  // One byte to escape in a run of plain text, at each offset of an eight-byte word and at
  // the ends; and in text shorter than a word.
  r.path = "/almaws/v1/bibs";
  for (char special : {'"', '\\', '\n', '\x01', '\x1f', '\x7f', '\xc3', ' '}) {
    for (std::size_t length : {1u, 3u, 7u, 8u, 9u, 16u, 17u, 40u}) {
      for (std::size_t at = 0; at < length; ++at) {
        std::string text(length, 'a');
        text[at] = special;
        r.client = text;
        line = format_access_line(r);
        CAPTURE(text);
        CHECK(line.find("\"client\":\"" + escaped_one_by_one(text) + "\",\"environment\"") !=
              std::string::npos);
        if (special != '\xc3') CHECK(json::parse(line).at("client").as_string() == text);
      }
    }
  }
  r.client = "caf\xc3\xa9 \xe2\x82\xac \"q\" \\ \x7f";
  line = format_access_line(r);
  CHECK(line.find("\"client\":\"caf\xc3\xa9 \xe2\x82\xac \\\"q\\\" \\\\ \x7f\",") !=
        std::string::npos);
}

TEST_CASE("access line: fields in a fixed order, optional ones only when set") {
  access_record r;
  r.request_id = "r1";
  r.client = "c";
  r.environment = "production";
  r.area = "bibs";
  r.access = "read";
  r.method = "GET";
  r.path = "/almaws/v1/bibs/1?view=full";
  r.status = 200;
  r.outcome = "forwarded";
  r.upstream_ms = 0;
  r.wait_ms = 1.0005;
  r.total_ms = 2.25;
  r.bytes_in = 18446744073709551615ULL;
  r.bytes_out = 0;
  CHECK(after_time(format_access_line(r)) ==
        ",\"request_id\":\"r1\",\"client\":\"c\",\"environment\":\"production\",\"area\":\"bibs\","
        "\"access\":\"read\",\"method\":\"GET\",\"path\":\"/almaws/v1/bibs/1?view=full\","
        "\"status\":200,\"outcome\":\"forwarded\",\"upstream_ms\":0.000,\"wait_ms\":1.001,"
        "\"total_ms\":2.250,\"bytes_in\":18446744073709551615,\"bytes_out\":0}");
  access_record empty;
  empty.error_code = "BAD";
  empty.total_ms = -1;
  CHECK(after_time(format_access_line(empty)) ==
        ",\"request_id\":\"\",\"client\":\"\",\"environment\":\"\",\"area\":\"\",\"access\":\"\","
        "\"method\":\"\",\"path\":\"\",\"status\":0,\"outcome\":\"\",\"error_code\":\"BAD\","
        "\"total_ms\":0,\"bytes_in\":0,\"bytes_out\":0}");
  empty.error_code = "";
  empty.upstream_ms = std::numeric_limits<double>::quiet_NaN();
  empty.wait_ms = 1e13;
  empty.total_ms = 123456789.0;
  CHECK(after_time(format_access_line(empty)) ==
        ",\"request_id\":\"\",\"client\":\"\",\"environment\":\"\",\"area\":\"\",\"access\":\"\","
        "\"method\":\"\",\"path\":\"\",\"status\":0,\"outcome\":\"\",\"wait_ms\":0,"
        "\"total_ms\":123456789.000,\"bytes_in\":0,\"bytes_out\":0}");
}

TEST_CASE("access line: exact bytes with an escape in every field and the longest numbers") {
  access_record r;
  r.request_id = "0123456789abcdef";
  r.client = "a\"b\\c";
  r.environment = std::string_view("\x00\x1f\x7f", 3);
  r.area = "caf\xc3\xa9";
  r.access = "\t\r\n\b\f";
  r.method = "GET ";
  r.path = "/almaws/v1/bibs/99?q=\xe2\x82\xac\"";
  r.status = 4294967295u;
  r.outcome = "refused";
  r.error_code = "E\x01";
  r.upstream_ms = 9.0e12;
  r.wait_ms = 1e-9;
  r.total_ms = 9.0e12 + 1;
  r.bytes_in = 18446744073709551615ULL;
  r.bytes_out = 10;
  CHECK(after_time(format_access_line(r)) ==
        ",\"request_id\":\"0123456789abcdef\",\"client\":\"a\\\"b\\\\c\","
        "\"environment\":\"\\u0000\\u001f\x7f\",\"area\":\"caf\xc3\xa9\","
        "\"access\":\"\\t\\r\\n\\u0008\\u000c\",\"method\":\"GET \","
        "\"path\":\"/almaws/v1/bibs/99?q=\xe2\x82\xac\\\"\",\"status\":4294967295,"
        "\"outcome\":\"refused\",\"error_code\":\"E\\u0001\",\"upstream_ms\":9000000000000.000,"
        "\"wait_ms\":0.000,\"total_ms\":0,\"bytes_in\":18446744073709551615,\"bytes_out\":10}");
}

TEST_CASE("access line: long texts that are all escapes are written whole") {
  // Mostly control characters, six bytes each once escaped: the most room a text can take.
  std::string worst(5000, '\0');
  for (std::size_t i = 0; i < worst.size(); ++i) worst[i] = static_cast<char>(i % 0x23);
  access_record r;
  r.request_id = r.client = r.environment = r.area = r.access = r.method = r.path = r.outcome =
      r.error_code = worst;
  const std::string e = escaped_one_by_one(worst);
  CHECK(after_time(format_access_line(r)) ==
        ",\"request_id\":\"" + e + "\",\"client\":\"" + e + "\",\"environment\":\"" + e +
            "\",\"area\":\"" + e + "\",\"access\":\"" + e + "\",\"method\":\"" + e +
            "\",\"path\":\"" + e + "\",\"status\":0,\"outcome\":\"" + e +
            "\",\"error_code\":\"" + e + "\",\"total_ms\":0.000,\"bytes_in\":0,\"bytes_out\":0}");
}

TEST_CASE("access log: lines gathered on a loop reach the fd whole, in order, once the loop ran") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  net::io_context io;
  {
    access_log log(fds[1]);
    access_record r;
    r.outcome = "forwarded";
    r.request_id = "a";
    log.write(io, r);
    r.request_id = "b";
    log.write(io, r);
    // Nothing is written before the loop runs its posted flush.
    pollfd readable{fds[0], POLLIN, 0};
    CHECK(::poll(&readable, 1, 0) == 0);
    io.run();
  }
  ::close(fds[1]);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  auto nl = got.find('\n');
  REQUIRE(nl != std::string::npos);
  CHECK(json::parse(got.substr(0, nl)).at("request_id").as_string() == "a");
  CHECK(json::parse(got.substr(nl + 1, got.size() - nl - 2)).at("request_id").as_string() == "b");
  CHECK(got.back() == '\n');
  CHECK(std::count(got.begin(), got.end(), '\n') == 2);
}

TEST_CASE("access log: loops writing at once never interleave lines, lose or reorder them") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::string got;
  std::thread reader([&] {
    char buf[65536];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  });
  constexpr int loops = 4, lines_each = 3000;
  {
    access_log log(fds[1]);
    std::vector<std::thread> writers;
    for (int t = 0; t < loops; ++t)
      writers.emplace_back([&log, t] {
        net::io_context io;
        const std::string path = "/almaws/v1/bibs/" + std::string(200, static_cast<char>('a' + t));
        for (int i = 0; i < lines_each; ++i) {
          const std::string id = std::to_string(t) + "-" + std::to_string(i);
          access_record r;
          r.request_id = id;
          r.path = path;
          r.outcome = "forwarded";
          log.write(io, r);
          if (i % 7 == 0) io.poll();  // the posted flushes run now and then, as on a busy loop
        }
        io.run();
        log.flush();
      });
    for (auto& w : writers) w.join();
  }
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  std::vector<int> next(loops, 0);
  std::size_t count = 0, start = 0;
  bool all_whole = true, in_order = true;
  for (auto nl = got.find('\n'); nl != std::string::npos; nl = got.find('\n', start)) {
    boost::system::error_code ec;
    auto line = json::parse(got.substr(start, nl - start), ec);
    start = nl + 1;
    if (ec) {
      all_whole = false;
      continue;
    }
    ++count;
    std::string id(line.at("request_id").as_string());
    int t = std::stoi(id.substr(0, id.find('-')));
    int i = std::stoi(id.substr(id.find('-') + 1));
    if (i != next[static_cast<std::size_t>(t)]) in_order = false;
    next[static_cast<std::size_t>(t)] = i + 1;
  }
  CHECK(all_whole);
  CHECK(in_order);
  CHECK(start == got.size());
  CHECK(count == static_cast<std::size_t>(loops * lines_each));
}
