#include "policy/target.hpp"

#include <doctest/doctest.h>

#include <boost/url.hpp>

#include <algorithm>
#include <string>

using namespace almagate;
using namespace std::string_literals;

namespace {
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// True when the target's query holds an apikey parameter, under any case or encoding.
bool has_apikey_param(const std::string& target) {
  auto url = boost::urls::parse_origin_form(target);
  REQUIRE(url.has_value());
  for (auto param : url->params())
    if (iequals(param.key, "apikey")) return true;
  return false;
}
}  // namespace

TEST_CASE("a default-environment target") {
  auto r = parse_target("/almaws/v1/bibs/991234/holdings?view=full");
  REQUIRE(r.target.has_value());
  const auto& t = *r.target;
  CHECK(t.environment.empty());
  CHECK(t.area_segment == "bibs");
  REQUIRE(t.segments_after_v1.size() == 3u);
  CHECK(t.segments_after_v1[0] == "bibs");
  CHECK(t.segments_after_v1[1] == "991234");
  CHECK(t.segments_after_v1[2] == "holdings");
  CHECK(t.upstream_target == "/almaws/v1/bibs/991234/holdings?view=full");
  CHECK(t.apikeys.empty());
  CHECK(t.op.empty());
  CHECK(t.format.empty());
  CHECK(t.log_target() == t.upstream_target);
}

TEST_CASE("a named environment is taken off the path") {
  auto r = parse_target("/sandbox/almaws/v1/users/jdoe/loans?limit=10&offset=20");
  REQUIRE(r.target.has_value());
  const auto& t = *r.target;
  CHECK(t.environment == "sandbox");
  CHECK(t.area_segment == "users");
  REQUIRE(t.segments_after_v1.size() == 3u);
  CHECK(t.segments_after_v1[2] == "loans");
  CHECK(t.upstream_target == "/almaws/v1/users/jdoe/loans?limit=10&offset=20");
}

TEST_CASE("the views point into the target") {
  const std::string target = "/prod/almaws/v1/conf/jobs/7?op=run&format=json&apikey=TOK";
  auto r = parse_target(target);
  REQUIRE(r.target.has_value());
  const auto& t = *r.target;
  const char* begin = target.data();
  const char* end = target.data() + target.size();
  for (std::string_view v : {t.environment, t.area_segment, t.op, t.format, t.apikeys.at(0)}) {
    CHECK(v.data() >= begin);
    CHECK(v.data() + v.size() <= end);
  }
  CHECK(t.environment == "prod");
  CHECK(t.op == "run");
  CHECK(t.format == "json");
  CHECK(t.apikeys.at(0) == "TOK");
}

TEST_CASE("apikey parameters are collected in order and never forwarded") {
  struct row {
    std::string target;
    std::string upstream;
    std::vector<std::string> apikeys;
  };
  const row rows[] = {
      {"/almaws/v1/users/jdoe%40example.edu?apikey=T&view=full",
       "/almaws/v1/users/jdoe%40example.edu?view=full", {"T"}},
      {"/almaws/v1/bibs?apikey=T", "/almaws/v1/bibs", {"T"}},
      {"/almaws/v1/bibs?view=full&apikey=T", "/almaws/v1/bibs?view=full", {"T"}},
      {"/almaws/v1/bibs?b=2&apikey=T&a=1&c=3", "/almaws/v1/bibs?b=2&a=1&c=3", {"T"}},
      {"/almaws/v1/bibs?APIKEY=T&format=json", "/almaws/v1/bibs?format=json", {"T"}},
      {"/almaws/v1/bibs?ApiKey=T&x=1&apiKEY=U", "/almaws/v1/bibs?x=1", {"T", "U"}},
      {"/almaws/v1/bibs?%61pikey=T&x=1", "/almaws/v1/bibs?x=1", {"T"}},
      {"/almaws/v1/bibs?%41%50%49%4B%45%59=T", "/almaws/v1/bibs", {"T"}},
      {"/almaws/v1/bibs?&&apikey=T&&x=1&", "/almaws/v1/bibs?x=1", {"T"}},
      {"/sandbox/almaws/v1/bibs?apikey=T&apikey=T", "/almaws/v1/bibs", {"T", "T"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.target);
    auto result = parse_target(r.target);
    REQUIRE(result.target.has_value());
    const auto& t = *result.target;
    CHECK(t.upstream_target == r.upstream);
    REQUIRE(t.apikeys.size() == r.apikeys.size());
    for (std::size_t i = 0; i < r.apikeys.size(); ++i) CHECK(t.apikeys[i] == r.apikeys[i]);
    CHECK_FALSE(has_apikey_param(t.upstream_target));
    std::string lower = t.upstream_target;
    for (auto& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    CHECK(lower.find("apikey=") == std::string::npos);
    CHECK(t.log_target().find("apikey") == std::string::npos);
  }
}

TEST_CASE("legitimate targets pass with the exact upstream target") {
  struct row {
    std::string target;
    std::string upstream;
    std::string_view area_segment;
  };
  const row rows[] = {
      {"/almaws/v1/users/jdoe%40example.edu?apikey=T&view=full",
       "/almaws/v1/users/jdoe%40example.edu?view=full", "users"},
      {"/sandbox/almaws/v1/bibs/991?expand=p_avail&view=brief",
       "/almaws/v1/bibs/991?expand=p_avail&view=brief", "bibs"},
      {"/almaws/v1/bibs/991/holdings/22/items/23", "/almaws/v1/bibs/991/holdings/22/items/23",
       "bibs"},
      {"/almaws/v1/items?item_barcode=3901234", "/almaws/v1/items?item_barcode=3901234", "items"},
      {"/almaws/v1/conf/code-tables/UserGroups?lang=en",
       "/almaws/v1/conf/code-tables/UserGroups?lang=en", "conf"},
      {"/almaws/v1/users/a.b@c.d", "/almaws/v1/users/a.b@c.d", "users"},
      {"/almaws/v1/users/o'brien", "/almaws/v1/users/o'brien", "users"},
      {"/almaws/v1/bibs?mms_id=1,2,3&apikey=T", "/almaws/v1/bibs?mms_id=1,2,3", "bibs"},
      {"/almaws/v1/users?q=primary_id~a%20b&limit=10",
       "/almaws/v1/users?q=primary_id~a%20b&limit=10", "users"},
      {"/almaws/v1/analytics/reports?path=%2Fshared%2FUniv%2FReports%2Fx&limit=25",
       "/almaws/v1/analytics/reports?path=%2Fshared%2FUniv%2FReports%2Fx&limit=25", "analytics"},
      {"/almaws/v1/task-lists/requested-resources?library=MAIN&circ_desk=DEFAULT_CIRC_DESK",
       "/almaws/v1/task-lists/requested-resources?library=MAIN&circ_desk=DEFAULT_CIRC_DESK",
       "task-lists"},
      {"/almaws/v1/acq/po-lines/POL-1?apikey=T", "/almaws/v1/acq/po-lines/POL-1", "acq"},
      {"/almaws/v1/electronic/e-collections/61", "/almaws/v1/electronic/e-collections/61",
       "electronic"},
      {"/almaws/v1/partners/RS1/lending-requests", "/almaws/v1/partners/RS1/lending-requests",
       "partners"},
      {"/almaws/v1/courses/5?view=full", "/almaws/v1/courses/5?view=full", "courses"},
      {"/almaws/v1/bibs/", "/almaws/v1/bibs/", "bibs"},
      {"/almaws/v1/users/caf%C3%A9", "/almaws/v1/users/caf%C3%A9", "users"},
      {"/almaws/v1/users/a%20b", "/almaws/v1/users/a%20b", "users"},
      {"/almaws/v1/users/%E2%82%AC.%F0%9F%98%80", "/almaws/v1/users/%E2%82%AC.%F0%9F%98%80",
       "users"},
      {"/almaws/v1/users/j.doe%2Bx%40ex.edu", "/almaws/v1/users/j.doe%2Bx%40ex.edu", "users"},
      {"/almaws/v1/users/x?op=auth&password=s3cret", "/almaws/v1/users/x?op=auth&password=s3cret",
       "users"},
      {"/almaws/v1/bibs?q=title~a%26b&x=%25", "/almaws/v1/bibs?q=title~a%26b&x=%25", "bibs"},
      {"/almaws/v1/bibs?flag&z=1", "/almaws/v1/bibs?flag&z=1", "bibs"},
      {"/production/almaws/v1/users/operation/test",
       "/almaws/v1/users/operation/test", "users"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.target);
    auto result = parse_target(r.target);
    REQUIRE(result.target.has_value());
    CHECK(result.target->upstream_target == r.upstream);
    CHECK(result.target->area_segment == r.area_segment);
  }
}

TEST_CASE("op and format are picked from the query, decoded names included") {
  auto r = parse_target("/almaws/v1/users/x?%6Fp=auth&format=xml");
  REQUIRE(r.target.has_value());
  CHECK(r.target->op == "auth");
  CHECK(r.target->format == "xml");
  CHECK(r.target->upstream_target == "/almaws/v1/users/x?%6Fp=auth&format=xml");
}

TEST_CASE("the log target redacts passwords but the upstream target keeps them") {
  auto r = parse_target("/almaws/v1/users/x?op=auth&password=s3cret&apikey=TOK");
  REQUIRE(r.target.has_value());
  CHECK(r.target->upstream_target == "/almaws/v1/users/x?op=auth&password=s3cret");
  CHECK(r.target->log_target() == "/almaws/v1/users/x?op=auth&password=REDACTED");
  CHECK(r.target->log_target().find("s3cret") == std::string::npos);
  CHECK(r.target->log_target().find("TOK") == std::string::npos);
}

TEST_CASE("targets that are not Alma API paths are 404 ROUTING_ERROR") {
  for (std::string target :
       {"/", "/foo", "/foo/bar", "/almaws", "/almaws/", "/almaws/v1", "/almaws/v1/",
        "/almaws/v1?apikey=T", "/almaws/v2/bibs", "/ALMAWS/v1/bibs", "/almaws/V1/bibs",
        "/prod/almaws/v2/bibs", "/prod/almaws/v1", "/prod/almaws/v1/", "/a/b/almaws/v1/bibs",
        "/v1/almaws/bibs", "/almaws/almaws/v1/bibs", "/%61lmaws/v1/bibs", "/favicon.ico",
        "/prod"}) {
    CAPTURE(target);
    auto r = parse_target(target);
    CHECK_FALSE(r.target.has_value());
    CHECK(r.error.status == 404u);
    CHECK(r.error.code == "ROUTING_ERROR");
    CHECK_FALSE(r.error.message.empty());
  }
}

TEST_CASE("targets that could be routed differently upstream are 400 INVALID_REQUEST") {
  const std::string nasty[] = {
      // dot segments, raw and encoded
      "/almaws/v1/bibs/../conf",
      "/almaws/v1/bibs/./1",
      "/almaws/v1/bibs/..",
      "/almaws/v1/bibs/.",
      "/almaws/v1/bibs/%2e%2e/conf",
      "/almaws/v1/bibs/%2E%2E/conf",
      "/almaws/v1/bibs/.%2e/conf",
      "/almaws/v1/bibs/%2e/conf",
      "/almaws/v1/bibs/%c0%ae%c0%ae/conf",
      "/almaws/v1/bibs/%e0%80%ae%e0%80%ae/conf",
      "/almaws/v1/bibs/%c0%af",
      "/almaws/v1/bibs/%c1%9c",
      "/almaws/v1/bibs/%f0%80%80%ae",
      "/almaws/v1/bibs/%ed%a0%80",
      "/almaws/v1/bibs/%f4%90%80%80",
      "/almaws/v1/bibs/%c3",
      "/almaws/v1/bibs/%80",
      "/almaws/v1/bibs/%ff%fe",
      // encoded separators and escapes
      "/almaws/v1/bibs/..%2Fconf",
      "/almaws/v1/bibs/%2f",
      "/almaws/v1/bibs/1%2F..%2F..%2Fconf",
      "/almaws/v1/users/%5c",
      "/almaws/v1/users/%5C..%5Cconf",
      "/almaws/v1/bibs/%252e",
      "/almaws/v1/bibs/%252e%252e/conf",
      "/almaws/v1/bibs/%%32%65",
      "/almaws/v1/bibs/1%3bjsessionid=x",
      "/almaws/v1/bibs/1%3F",
      "/almaws/v1/bibs/1%23",
      "/sandbox%2f..%2falmaws/v1/bibs",
      "/almaws/v1/%2e%2e/v1/conf",
      // control characters, encoded and raw
      "/almaws/v1/bibs/%00",
      "/almaws/v1/bibs/%0a",
      "/almaws/v1/bibs/%0d%0aHost:%20evil",
      "/almaws/v1/bibs/%7f",
      "/almaws/v1/bibs/\x01",
      "/almaws/v1/bibs/\x7f",
      "/almaws/v1/bibs\r\nHost: evil",
      "/almaws/v1/bibs/a\tb",
      "/almaws/v1/bibs/a b",
      "/almaws/v1/bibs?x=a b",
      "/almaws/v1/bibs/1\0x"s,
      // malformed escapes
      "/almaws/v1/bibs/%",
      "/almaws/v1/bibs/%2",
      "/almaws/v1/bibs/%zz",
      "/almaws/v1/bibs/%u002e%u002e",
      "/almaws/v1/bibs?x=%g1",
      "/almaws/v1/bibs?x=1%",
      // path parameters and empty segments
      "/almaws/v1/bibs/a;b",
      "/almaws/v1/bibs;x/1",
      "/almaws/v1/bibs/.;/conf",
      "/almaws/v1/bibs/..;/conf",
      "//almaws/v1/bibs",
      "/almaws/v1//bibs",
      "/almaws//v1/bibs",
      "/almaws/v1/bibs//1",
      "/sandbox//almaws/v1/bibs",
      // not origin-form
      "",
      "*",
      "almaws/v1/bibs",
      "http://evil/almaws/v1/bibs",
      "HTTP://evil/almaws/v1/bibs",
      "https://api-na.hosted.exlibrisgroup.com/almaws/v1/bibs",
      "evil.com:443",
      "\\almaws\\v1\\bibs",
      // raw characters a server might rewrite
      "/almaws/v1/bibs/1\\..\\conf",
      "/almaws/v1/bibs/caf\xc3\xa9",
      "/almaws/v1/bibs?q=caf\xc3\xa9",
      "/almaws/v1/bibs#x",
      "/almaws/v1/users/x?op=run#frag",
      "/almaws/v1/bibs/{x}",
      // two op parameters, however spelled
      "/almaws/v1/users/x?op=auth&op=delete",
      "/almaws/v1/users/x?op=auth&%6fp=delete",
      "/almaws/v1/users/x?op=&op=auth",
      "/almaws/v1/users/x?op=auth&op=",
      "/almaws/v1/users/x?op=auth&op",
      "/almaws/v1/users/x?op&op=auth",
  };
  CHECK(std::size(nasty) >= 20u);
  for (const auto& target : nasty) {
    CAPTURE(target);
    auto r = parse_target(target);
    CHECK_FALSE(r.target.has_value());
    CHECK(r.error.status == 400u);
    CHECK(r.error.code == "INVALID_REQUEST");
    CHECK_FALSE(r.error.message.empty());
  }
}

TEST_CASE("access_needed: reads are GET, HEAD, op=auth on a user and POSTs to test paths") {
  struct row {
    std::string_view method;
    std::string target;
    almagate::access expected;
  };
  const row rows[] = {
      {"GET", "/almaws/v1/bibs/1", almagate::access::read},
      {"HEAD", "/almaws/v1/bibs/1", almagate::access::read},
      {"GET", "/almaws/v1/conf/jobs/1?op=run", almagate::access::read},
      {"GET", "/almaws/v1/users/x/loans", almagate::access::read},
      {"POST", "/almaws/v1/bibs", almagate::access::read_write},
      {"PUT", "/almaws/v1/bibs/1", almagate::access::read_write},
      {"DELETE", "/almaws/v1/bibs/1", almagate::access::read_write},
      {"PATCH", "/almaws/v1/bibs/1", almagate::access::read_write},
      {"PUT", "/almaws/v1/users/x?op=auth", almagate::access::read_write},
      {"DELETE", "/almaws/v1/bibs/test", almagate::access::read_write},
      // op=auth only on users/{id}
      {"POST", "/almaws/v1/users/x?op=auth", almagate::access::read},
      {"POST", "/almaws/v1/users/x?op=auth&password=p", almagate::access::read},
      {"POST", "/sandbox/almaws/v1/users/x?op=auth", almagate::access::read},
      {"POST", "/almaws/v1/users/x/?op=auth", almagate::access::read},
      {"POST", "/almaws/v1/users/x?op=refresh", almagate::access::read_write},
      {"POST", "/almaws/v1/users/x", almagate::access::read_write},
      {"POST", "/almaws/v1/users/x?op=AUTH", almagate::access::read_write},
      {"POST", "/almaws/v1/users/x?op=%61uth", almagate::access::read_write},
      {"POST", "/almaws/v1/users/x/loans?op=auth", almagate::access::read_write},
      {"POST", "/almaws/v1/users?op=auth", almagate::access::read_write},
      {"POST", "/almaws/v1/bibs/1?op=auth", almagate::access::read_write},
      {"POST", "/almaws/v1/users/x/requests/1?op=auth", almagate::access::read_write},
      // test paths
      {"POST", "/almaws/v1/bibs/test", almagate::access::read},
      {"POST", "/almaws/v1/acq/test", almagate::access::read},
      {"POST", "/almaws/v1/conf/test", almagate::access::read},
      {"POST", "/almaws/v1/task-lists/test", almagate::access::read},
      {"POST", "/sandbox/almaws/v1/analytics/test", almagate::access::read},
      {"POST", "/almaws/v1/users/operation/test", almagate::access::read},
      {"POST", "/almaws/v1/users/test", almagate::access::read_write},
      {"POST", "/almaws/v1/bibs/test/1", almagate::access::read_write},
      {"POST", "/almaws/v1/bibs/1/test", almagate::access::read_write},
      {"POST", "/almaws/v1/bibs/Test", almagate::access::read_write},
      {"POST", "/almaws/v1/bibs/tes%74", almagate::access::read_write},
      {"POST", "/almaws/v1/users/operation/test/1", almagate::access::read_write},
      {"POST", "/almaws/v1/users/operation", almagate::access::read_write},
      {"PUT", "/almaws/v1/users/operation/test", almagate::access::read_write},
      {"get", "/almaws/v1/bibs/1", almagate::access::read_write},
  };
  for (const auto& r : rows) {
    CAPTURE(r.method);
    CAPTURE(r.target);
    auto parsed = parse_target(r.target);
    REQUIRE(parsed.target.has_value());
    CHECK(access_needed(r.method, *parsed.target) == r.expected);
  }
}

TEST_CASE("redact_target replaces password and apikey values") {
  struct row {
    std::string_view in;
    std::string_view out;
  };
  const row rows[] = {
      {"/almaws/v1/bibs", "/almaws/v1/bibs"},
      {"/almaws/v1/bibs?view=full", "/almaws/v1/bibs?view=full"},
      {"/almaws/v1/users/x?op=auth&password=s3cret",
       "/almaws/v1/users/x?op=auth&password=REDACTED"},
      {"/almaws/v1/users/x?password=s3cret&op=auth",
       "/almaws/v1/users/x?password=REDACTED&op=auth"},
      {"/almaws/v1/bibs?apikey=l7xxSECRET", "/almaws/v1/bibs?apikey=REDACTED"},
      {"/almaws/v1/bibs?APIKEY=l7xxSECRET&a=1", "/almaws/v1/bibs?APIKEY=REDACTED&a=1"},
      {"/almaws/v1/users/x?PassWord=s3cret", "/almaws/v1/users/x?PassWord=REDACTED"},
      {"/almaws/v1/users/x?%70assword=s3cret", "/almaws/v1/users/x?%70assword=REDACTED"},
      {"/almaws/v1/bibs?%61%70%69%6b%65%79=l7xx", "/almaws/v1/bibs?%61%70%69%6b%65%79=REDACTED"},
      {"/almaws/v1/users/x?password=", "/almaws/v1/users/x?password=REDACTED"},
      {"/almaws/v1/users/x?password=a=b&c=d", "/almaws/v1/users/x?password=REDACTED&c=d"},
      {"/almaws/v1/users/x?password=a&password=b",
       "/almaws/v1/users/x?password=REDACTED&password=REDACTED"},
      {"/almaws/v1/users/x?passwords=a&my_password=b&apikeys=c",
       "/almaws/v1/users/x?passwords=a&my_password=b&apikeys=c"},
      {"/almaws/v1/users/x?q=password%3Dx", "/almaws/v1/users/x?q=password%3Dx"},
      {"/almaws/v1/bibs?a=1&&b=2", "/almaws/v1/bibs?a=1&&b=2"},
      {"/almaws/v1/bibs?", "/almaws/v1/bibs?"},
  };
  for (const auto& r : rows) CHECK_MESSAGE(redact_target(r.in) == r.out, r.in);
}

TEST_CASE("segments and parameters are kept raw: escapes and '+' are checked, not decoded") {
  const std::string target = "/prod/almaws/v1/users/jdoe%40ex.edu/a+b?q=a+b&x=%2B&y=%41%62";
  auto r = parse_target(target);
  REQUIRE(r.target.has_value());
  const auto& t = *r.target;
  REQUIRE(t.segments_after_v1.size() == 3u);
  CHECK(t.segments_after_v1[1] == "jdoe%40ex.edu");
  CHECK(t.segments_after_v1[2] == "a+b");
  for (std::string_view v : t.segments_after_v1) {
    CHECK(v.data() >= target.data());
    CHECK(v.data() + v.size() <= target.data() + target.size());
  }
  CHECK(t.upstream_target == "/almaws/v1/users/jdoe%40ex.edu/a+b?q=a+b&x=%2B&y=%41%62");
  CHECK(t.log_target() == t.upstream_target);
}

TEST_CASE("a long path keeps every segment after v1") {
  auto r = parse_target("/prod/almaws/v1/bibs/1/holdings/2/items/3/a/b/c/d/e?view=full");
  REQUIRE(r.target.has_value());
  const auto& t = *r.target;
  CHECK(t.environment == "prod");
  REQUIRE(t.segments_after_v1.size() == 11u);
  CHECK(t.segments_after_v1.front() == "bibs");
  CHECK(t.segments_after_v1.back() == "e");
  CHECK(t.upstream_target == "/almaws/v1/bibs/1/holdings/2/items/3/a/b/c/d/e?view=full");
}

TEST_CASE("empty names and values, escaped names and '?' in the query") {
  struct row {
    std::string target;
    std::string upstream;
    std::vector<std::string> apikeys;
    std::string_view op;
    std::string_view format;
  };
  const row rows[] = {
      {"/almaws/v1/bibs?=x&apikey=&a=", "/almaws/v1/bibs?=x&a=", {""}, "", ""},
      {"/almaws/v1/bibs?q=a?b&apikey=T", "/almaws/v1/bibs?q=a?b", {"T"}, "", ""},
      {"/almaws/v1/bibs?a%3Db=1&%66ormat=xml", "/almaws/v1/bibs?a%3Db=1&%66ormat=xml", {}, "",
       "xml"},
      {"/almaws/v1/bibs?apikey%3D=T", "/almaws/v1/bibs?apikey%3D=T", {}, "", ""},
      {"/almaws/v1/bibs?api+key=T&op%20=x", "/almaws/v1/bibs?api+key=T&op%20=x", {}, "", ""},
      {"/almaws/v1/bibs?format=&op=", "/almaws/v1/bibs?format=&op=", {}, "", ""},
      {"/almaws/v1/bibs?apikey", "/almaws/v1/bibs", {""}, "", ""},
  };
  for (const auto& r : rows) {
    CAPTURE(r.target);
    auto result = parse_target(r.target);
    REQUIRE(result.target.has_value());
    const auto& t = *result.target;
    CHECK(t.upstream_target == r.upstream);
    REQUIRE(t.apikeys.size() == r.apikeys.size());
    for (std::size_t i = 0; i < r.apikeys.size(); ++i) CHECK(t.apikeys[i] == r.apikeys[i]);
    CHECK(t.op == r.op);
    CHECK(t.format == r.format);
  }
  // A malformed escape in any value is refused, an apikey's included.
  auto bad = parse_target("/almaws/v1/bibs?apikey=%41%zz");
  CHECK_FALSE(bad.target.has_value());
  CHECK(bad.error.message == "The query holds a malformed percent-escape.");
}

TEST_CASE("each kind of bad target gets its own message, checked in a fixed order") {
  struct row {
    std::string target;
    std::string_view message;
  };
  const std::string_view raw = "The request target holds a character that is not allowed.";
  const std::string_view empty = "The request path holds an empty segment ('//').";
  const std::string_view dot = "The request path holds a dot segment.";
  const std::string_view param = "The request path holds a path parameter (';').";
  const std::string_view malformed = "The request path holds a malformed percent-escape.";
  const std::string_view encoded =
      "The request path holds an encoded '/', '.', '\\', '%', ';' or control character.";
  const std::string_view utf8 = "The request path holds an escape that is not UTF-8.";
  const std::string_view query = "The query holds a malformed percent-escape.";
  const row rows[] = {
      {"/almaws/v1/bibs/%zz x", raw},
      {"/almaws/v1/bibs?a=%zz x", raw},
      {"/almaws/v1/bibs//%zz", empty},
      {"/almaws/v1/bibs/%zz/..", malformed},
      {"/almaws/v1/bibs/../%zz", dot},
      {"/almaws/v1/bibs/%2e;x", param},
      {"/almaws/v1/bibs/%zz%2e", malformed},
      {"/almaws/v1/bibs/%2e%zz", malformed},
      {"/almaws/v1/bibs/a%2", malformed},
      {"/almaws/v1/bibs/a%", malformed},
      {"/almaws/v1/bibs/%c0%2e", encoded},
      {"/almaws/v1/bibs/%2E", encoded},
      {"/almaws/v1/bibs/%25", encoded},
      {"/almaws/v1/bibs/%1f", encoded},
      {"/almaws/v1/bibs/%c0%af", utf8},
      {"/almaws/v1/bibs/a%C3", utf8},
      {"/almaws/v1/bibs/%41%c3%28", utf8},
      {"/foo/%2e/bar", encoded},  // checked before routing: a 400, not a 404
      {"/almaws/v1/bibs/%2f?x=%zz", encoded},
      {"/almaws/v1/bibs?x=%4", query},
      {"/almaws/v1/bibs?%4=1", query},
      {"/almaws/v1/bibs?x=%%41", query},
      {"/almaws/v1/bibs?x=1&y=%4g", query},
  };
  for (const auto& r : rows) {
    CAPTURE(r.target);
    auto result = parse_target(r.target);
    CHECK_FALSE(result.target.has_value());
    CHECK(result.error.status == 400u);
    CHECK(result.error.message == r.message);
  }
}

TEST_CASE("the log target redacts only secrets that have a value") {
  struct row {
    std::string target;
    std::string log;
  };
  const row rows[] = {
      {"/almaws/v1/users/x?password&op=auth", "/almaws/v1/users/x?password&op=auth"},
      {"/almaws/v1/users/x?op=auth&Password=", "/almaws/v1/users/x?op=auth&Password=REDACTED"},
      {"/almaws/v1/users/x?%70assword=p&apikey=T", "/almaws/v1/users/x?%70assword=REDACTED"},
      {"/almaws/v1/users/x?pass%77ord=p%41&a=1", "/almaws/v1/users/x?pass%77ord=REDACTED&a=1"},
      {"/almaws/v1/users/x?passwords=p", "/almaws/v1/users/x?passwords=p"},
      {"/almaws/v1/users/x?q=password=p", "/almaws/v1/users/x?q=password=p"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.target);
    auto result = parse_target(r.target);
    REQUIRE(result.target.has_value());
    CHECK(result.target->log_target() == r.log);
    CHECK(result.target->log_target() == redact_target(result.target->upstream_target));
  }
}

TEST_CASE("redact_target leaves names it cannot decode and secrets without a value") {
  struct row {
    std::string_view in;
    std::string_view out;
  };
  const row rows[] = {
      {"/almaws/v1/bibs?%zz=1&password=x", "/almaws/v1/bibs?%zz=1&password=REDACTED"},
      {"/almaws/v1/bibs?%70assword", "/almaws/v1/bibs?%70assword"},
      {"/almaws/v1/bibs?%70assword%=x", "/almaws/v1/bibs?%70assword%=x"},
      {"/almaws/v1/bibs?apikey=a&=b&", "/almaws/v1/bibs?apikey=REDACTED&=b&"},
      {"/almaws/v1/bibs?&apikey=a", "/almaws/v1/bibs?&apikey=REDACTED"},
      {"/almaws/v1/bibs?x=1?apikey=a", "/almaws/v1/bibs?x=1?apikey=a"},
      {"?apikey=a", "?apikey=REDACTED"},
  };
  for (const auto& r : rows) CHECK_MESSAGE(redact_target(r.in) == r.out, r.in);
}

TEST_CASE("apikey is cut out among other parameters, escapes and secrets kept in place") {
  struct row {
    std::string target;
    std::string upstream;
    std::string log;
  };
  const row rows[] = {
      {"/prod/almaws/v1/users/x?q=%41b&apikey=T&password=p%20q&x=1",
       "/almaws/v1/users/x?q=%41b&password=p%20q&x=1",
       "/almaws/v1/users/x?q=%41b&password=REDACTED&x=1"},
      {"/almaws/v1/users/x?apikey=T&op=auth&password=s&apikey=T&z=%C3%A9",
       "/almaws/v1/users/x?op=auth&password=s&z=%C3%A9",
       "/almaws/v1/users/x?op=auth&password=REDACTED&z=%C3%A9"},
      {"/almaws/v1/bibs/991234?view=full&format=json&apikey=T",
       "/almaws/v1/bibs/991234?view=full&format=json", "/almaws/v1/bibs/991234?view=full&format=json"},
      {"/almaws/v1/bibs/a%20b?x=a;b&&y=2&apikey=T&", "/almaws/v1/bibs/a%20b?x=a;b&y=2",
       "/almaws/v1/bibs/a%20b?x=a;b&y=2"},
      {"/almaws/v1/bibs?apikey=T&%70assword=p&PASSWORD=q", "/almaws/v1/bibs?%70assword=p&PASSWORD=q",
       "/almaws/v1/bibs?%70assword=REDACTED&PASSWORD=REDACTED"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.target);
    auto result = parse_target(r.target);
    REQUIRE(result.target.has_value());
    CHECK(result.target->upstream_target == r.upstream);
    CHECK(result.target->log_target() == r.log);
    CHECK(result.target->log_target() == redact_target(result.target->upstream_target));
    REQUIRE(result.target->apikeys.size() >= 1u);
    CHECK(result.target->apikeys[0] == "T");
  }
}

TEST_CASE("';' and '%' are looked at where they are: path or query") {
  auto in_query = parse_target("/almaws/v1/bibs/1?x=a;b&y=%41");
  REQUIRE(in_query.target.has_value());
  CHECK(in_query.target->upstream_target == "/almaws/v1/bibs/1?x=a;b&y=%41");
  auto in_path = parse_target("/almaws/v1/bibs/1;x?y=1");
  CHECK_FALSE(in_path.target.has_value());
  CHECK(in_path.error.message == "The request path holds a path parameter (';').");
  // A forbidden byte anywhere wins over a bad escape earlier in the target.
  auto late_raw = parse_target("/almaws/v1/bibs/%zz/1234567890abcdef?q=1234567890\x7f");
  CHECK(late_raw.error.message == "The request target holds a character that is not allowed.");
}

TEST_CASE("parse_target_into fills what parse_target returns") {
  const std::string target = "/prod/almaws/v1/users/x?op=auth&password=s&apikey=T&format=json";
  auto returned = parse_target(target);
  REQUIRE(returned.target.has_value());
  parsed_target filled;
  CHECK_FALSE(parse_target_into(target, filled).has_value());
  const auto& t = *returned.target;
  CHECK(filled.environment == t.environment);
  CHECK(filled.area_segment == t.area_segment);
  CHECK(std::equal(filled.segments_after_v1.begin(), filled.segments_after_v1.end(),
                   t.segments_after_v1.begin(), t.segments_after_v1.end()));
  CHECK(filled.upstream_target == t.upstream_target);
  CHECK(filled.log_target() == t.log_target());
  CHECK(filled.op == t.op);
  CHECK(filled.format == t.format);
  REQUIRE(filled.apikeys.size() == 1u);
  CHECK(filled.apikeys[0] == "T");
  parsed_target refused;
  auto error = parse_target_into("/almaws/v2/bibs", refused);
  REQUIRE(error.has_value());
  CHECK(error->status == 404u);
  CHECK(error->code == "ROUTING_ERROR");
}
