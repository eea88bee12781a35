#include "policy/decision.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "policy/token.hpp"

using namespace almagate;

namespace {

constexpr std::string_view reader_token = "agt_reader_token";
constexpr std::string_view writer_token = "agt_writer_token";
constexpr std::string_view prod_only_token = "agt_prod_only_token";

// Production (default) and sandbox; a reader, a writer and a client with no sandbox grant.
std::shared_ptr<config> make_config() {
  auto cfg = std::make_shared<config>();

  auto& production = cfg->environments["production"];
  production.name = "production";
  production.is_default = true;
  production.upstream = {true, "api-na.hosted.exlibrisgroup.com", 443,
                         "https://api-na.hosted.exlibrisgroup.com",
                         "api-na.hosted.exlibrisgroup.com"};
  auto& sandbox = cfg->environments["sandbox"];
  sandbox.name = "sandbox";
  sandbox.upstream = production.upstream;
  cfg->default_environment = &production;

  auto& production_key = cfg->keys["production-key"];
  production_key.name = "production-key";
  production_key.env = &production;
  production_key.secret = "l7xxPRODUCTIONSECRET";
  auto& sandbox_key = cfg->keys["sandbox-key"];
  sandbox_key.name = "sandbox-key";
  sandbox_key.env = &sandbox;
  sandbox_key.secret = "l7xxSANDBOXSECRET";
  for (area a : all_areas) {
    production_key.areas[a] = almagate::access::read_write;
    sandbox_key.areas[a] = almagate::access::read_write;
  }

  // reader: production bibs and users read only, nothing else; sandbox everything.
  auto& reader = cfg->clients["reader"];
  reader.id = "reader";
  reader.token_sha256 = sha256_hex(reader_token);
  grant reader_production{&production, &production_key, {}};
  reader_production.areas[area::bibs] = almagate::access::read;
  reader_production.areas[area::users] = almagate::access::read;
  grant reader_sandbox{&sandbox, &sandbox_key, {}};
  for (area a : all_areas) reader_sandbox.areas[a] = almagate::access::read_write;
  reader.grants = {reader_production, reader_sandbox};

  // writer: read-write in every area of production, no sandbox.
  auto& writer = cfg->clients["writer"];
  writer.id = "writer";
  writer.token_sha256 = sha256_hex(writer_token);
  grant writer_production{&production, &production_key, {}};
  for (area a : all_areas) writer_production.areas[a] = almagate::access::read_write;
  writer.grants = {writer_production};

  // prod-only: read in every area of production.
  auto& prod_only = cfg->clients["prod-only"];
  prod_only.id = "prod-only";
  prod_only.token_sha256 = sha256_hex(prod_only_token);
  grant prod_only_production{&production, &production_key, {}};
  for (area a : all_areas) prod_only_production.areas[a] = almagate::access::read;
  prod_only.grants = {prod_only_production};

  for (auto& [id, c] : cfg->clients) cfg->client_by_token_sha256[c.token_sha256] = &c;
  return cfg;
}

request_view without_headers(std::string_view method, std::string_view target) {
  return request_view{method, target, {}, false};
}

// Keeps the strings a request_view points into alive.
struct call {
  std::string method;
  std::string target;
  std::vector<std::string> authorization;
  bool method_override = false;

  request_view view() const {
    request_view v{method, target, {}, method_override};
    for (const auto& a : authorization) v.authorization.emplace_back(a);
    return v;
  }
};

call bearer(std::string method, std::string target, std::string_view token) {
  return call{std::move(method), std::move(target), {"Bearer " + std::string(token)}};
}

void check_refused(const decision& d, unsigned status, std::string_view code) {
  CHECK_FALSE(d.forward.has_value());
  CHECK(d.refused.status == status);
  CHECK(d.refused.code == code);
  CHECK_FALSE(d.refused.message.empty());
  // No secret ever reaches an error message.
  for (std::string_view secret : {reader_token, writer_token, prod_only_token,
                                  std::string_view("l7xxPRODUCTIONSECRET"),
                                  std::string_view("l7xxSANDBOXSECRET")})
    CHECK(d.refused.message.find(secret) == std::string::npos);
}

}  // namespace

TEST_CASE("each token style is accepted") {
  auto cfg = make_config();
  const std::string token(reader_token);
  const call calls[] = {
      {"GET", "/almaws/v1/bibs/1?apikey=" + token, {}},
      {"GET", "/almaws/v1/bibs/1?view=full&APIKEY=" + token, {}},
      {"GET", "/almaws/v1/bibs/1", {"apikey " + token}},
      {"GET", "/almaws/v1/bibs/1", {"APIKEY " + token}},
      {"GET", "/almaws/v1/bibs/1", {"Bearer " + token}},
      {"GET", "/almaws/v1/bibs/1", {"bearer " + token}},
  };
  for (const auto& c : calls) {
    CAPTURE(c.target);
    auto d = decide(c.view(), *cfg);
    REQUIRE(d.forward.has_value());
    CHECK(d.who == &cfg->clients["reader"]);
    CHECK(d.forward->who == &cfg->clients["reader"]);
    CHECK(d.forward->env == &cfg->environments["production"]);
    CHECK(d.forward->key == &cfg->keys["production-key"]);
    CHECK(d.forward->area_ == area::bibs);
    CHECK(d.forward->needed == almagate::access::read);
    CHECK(d.forward->target.upstream_target.find(token) == std::string::npos);
    CHECK(d.forward->target.upstream_target.rfind("/almaws/v1/bibs/1", 0) == 0u);
  }
}

TEST_CASE("two different tokens in one call are 400 INVALID_REQUEST") {
  auto cfg = make_config();
  const std::string r(reader_token), w(writer_token);
  const call calls[] = {
      {"GET", "/almaws/v1/bibs/1?apikey=" + r, {"Bearer " + w}},
      {"GET", "/almaws/v1/bibs/1?apikey=" + r + "&apikey=" + w, {}},
      {"GET", "/almaws/v1/bibs/1?apikey=" + r + "&APIKEY=" + w, {}},
      {"GET", "/almaws/v1/bibs/1", {"Bearer " + r, "apikey " + w}},
      {"GET", "/almaws/v1/bibs/1", {"Bearer " + r, "Bearer " + w}},
      {"GET", "/almaws/v1/bibs/1?apikey=" + r, {"apikey " + r, "Bearer unknown"}},
  };
  for (const auto& c : calls) {
    CAPTURE(c.target);
    auto d = decide(c.view(), *cfg);
    check_refused(d, 400, "INVALID_REQUEST");
    CHECK(d.who == nullptr);
  }
}

TEST_CASE("the same token twice is fine") {
  auto cfg = make_config();
  const std::string r(reader_token);
  const call calls[] = {
      {"GET", "/almaws/v1/bibs/1?apikey=" + r, {"Bearer " + r}},
      {"GET", "/almaws/v1/bibs/1?apikey=" + r + "&apikey=" + r, {}},
      {"GET", "/almaws/v1/bibs/1", {"apikey " + r, "Bearer " + r}},
      {"GET", "/almaws/v1/bibs/1?apikey=" + r, {"apikey " + r, "Bearer " + r}},
  };
  for (const auto& c : calls) {
    CAPTURE(c.target);
    auto d = decide(c.view(), *cfg);
    REQUIRE(d.forward.has_value());
    CHECK(d.forward->who == &cfg->clients["reader"]);
    CHECK(d.forward->target.upstream_target == "/almaws/v1/bibs/1");
  }
}

TEST_CASE("missing or unknown tokens are 401 UNAUTHORIZED") {
  auto cfg = make_config();
  const call calls[] = {
      {"GET", "/almaws/v1/bibs/1", {}},
      {"GET", "/almaws/v1/bibs/1?apikey=agt_unknown", {}},
      {"GET", "/almaws/v1/bibs/1", {"Bearer agt_unknown"}},
      {"GET", "/almaws/v1/bibs/1", {"Basic cmVhZGVyOnNlY3JldA=="}},
      {"GET", "/almaws/v1/bibs/1", {"Basic " + std::string(reader_token)}},
      {"GET", "/almaws/v1/bibs/1", {"Bearer "}},
      {"GET", "/almaws/v1/bibs/1", {"apikey"}},
      {"GET", "/almaws/v1/bibs/1", {""}},
      // A token is compared exactly: no case folding, no trimming inside.
      {"GET", "/almaws/v1/bibs/1", {"Bearer AGT_READER_TOKEN"}},
      {"GET", "/almaws/v1/bibs/1?apikey=" + sha256_hex(reader_token), {}},
      // Unknown environments and areas are only looked at after the token.
      {"GET", "/nowhere/almaws/v1/bibs/1", {}},
      {"GET", "/almaws/v1/nothing/1", {"Bearer agt_unknown"}},
  };
  for (const auto& c : calls) {
    CAPTURE(c.target);
    CAPTURE(c.authorization.empty() ? std::string() : c.authorization[0]);
    auto d = decide(c.view(), *cfg);
    check_refused(d, 401, "UNAUTHORIZED");
    CHECK(d.who == nullptr);
  }
}

TEST_CASE("Basic beside a valid token is ignored") {
  auto cfg = make_config();
  call c{"GET", "/almaws/v1/bibs/1", {"Basic dXNlcjpwYXNz", "Bearer " + std::string(reader_token)}};
  auto d = decide(c.view(), *cfg);
  REQUIRE(d.forward.has_value());
  CHECK(d.forward->who == &cfg->clients["reader"]);
}

TEST_CASE("environments: default, named and unknown") {
  auto cfg = make_config();
  SUBCASE("no prefix goes to the default environment") {
    auto d = decide(bearer("GET", "/almaws/v1/bibs/1?view=full", reader_token).view(), *cfg);
    REQUIRE(d.forward.has_value());
    CHECK(d.forward->env == cfg->default_environment);
    CHECK(d.forward->key == &cfg->keys["production-key"]);
    CHECK(d.forward->target.upstream_target == "/almaws/v1/bibs/1?view=full");
  }
  SUBCASE("the default environment by name") {
    auto d = decide(bearer("GET", "/production/almaws/v1/bibs/1", reader_token).view(), *cfg);
    REQUIRE(d.forward.has_value());
    CHECK(d.forward->env == &cfg->environments["production"]);
    CHECK(d.forward->target.upstream_target == "/almaws/v1/bibs/1");
  }
  SUBCASE("a named environment uses that environment's key, prefix removed") {
    auto d = decide(
        bearer("PUT", "/sandbox/almaws/v1/conf/code-tables/X?lang=en&apikey=" +
                          std::string(reader_token) + "&b=2",
               reader_token)
            .view(),
        *cfg);
    REQUIRE(d.forward.has_value());
    CHECK(d.forward->env == &cfg->environments["sandbox"]);
    CHECK(d.forward->key == &cfg->keys["sandbox-key"]);
    CHECK(d.forward->area_ == area::configuration);
    CHECK(d.forward->needed == almagate::access::read_write);
    CHECK(d.forward->target.upstream_target == "/almaws/v1/conf/code-tables/X?lang=en&b=2");
  }
  SUBCASE("an unknown environment is 404 ROUTING_ERROR, naming it") {
    auto d = decide(bearer("GET", "/staging/almaws/v1/bibs/1", reader_token).view(), *cfg);
    check_refused(d, 404, "ROUTING_ERROR");
    CHECK(d.refused.message.find("staging") != std::string::npos);
    CHECK(d.who == &cfg->clients["reader"]);
  }
  SUBCASE("environment names are case-sensitive") {
    auto d = decide(bearer("GET", "/Sandbox/almaws/v1/bibs/1", reader_token).view(), *cfg);
    check_refused(d, 404, "ROUTING_ERROR");
  }
  SUBCASE("a client without a grant in the environment is 403") {
    auto d = decide(bearer("GET", "/sandbox/almaws/v1/bibs/1", writer_token).view(), *cfg);
    check_refused(d, 403, "FORBIDDEN");
    CHECK(d.who == &cfg->clients["writer"]);
    CHECK(d.refused.message.find("sandbox") != std::string::npos);
  }
}

TEST_CASE("every area segment maps to its area") {
  auto cfg = make_config();
  struct row {
    std::string segment;
    area expected;
  };
  const row rows[] = {
      {"acq", area::acquisitions},     {"analytics", area::analytics},
      {"bibs", area::bibs},            {"items", area::bibs},
      {"conf", area::configuration},   {"courses", area::courses},
      {"electronic", area::electronic}, {"partners", area::partners},
      {"task-lists", area::task_lists}, {"users", area::users},
  };
  for (const auto& r : rows) {
    CAPTURE(r.segment);
    auto d = decide(bearer("DELETE", "/almaws/v1/" + r.segment + "/1", writer_token).view(), *cfg);
    REQUIRE(d.forward.has_value());
    CHECK(d.forward->area_ == r.expected);
    CHECK(d.forward->target.upstream_target == "/almaws/v1/" + r.segment + "/1");
  }
}

TEST_CASE("items counts as bibs for grants") {
  auto cfg = make_config();
  auto read = decide(bearer("GET", "/almaws/v1/items?item_barcode=39", reader_token).view(), *cfg);
  REQUIRE(read.forward.has_value());
  CHECK(read.forward->area_ == area::bibs);
  auto write = decide(
      bearer("POST", "/almaws/v1/bibs/1/holdings/2/items/3?op=scan", reader_token).view(), *cfg);
  check_refused(write, 403, "FORBIDDEN");
  auto items_write =
      decide(bearer("POST", "/almaws/v1/items/3?op=scan", reader_token).view(), *cfg);
  check_refused(items_write, 403, "FORBIDDEN");
  CHECK(items_write.refused.message.find("bibs") != std::string::npos);
}

TEST_CASE("paths that route nowhere are 404 ROUTING_ERROR") {
  auto cfg = make_config();
  for (std::string target :
       {"/almaws/v1/nothing/1", "/almaws/v1/Bibs/1", "/almaws/v1/item/1", "/almaws/v1",
        "/almaws/v1/", "/foo", "/", "/almaws/v2/bibs/1", "/sandbox/almaws/v1/unknown"}) {
    CAPTURE(target);
    auto d = decide(bearer("GET", target, writer_token).view(), *cfg);
    check_refused(d, 404, "ROUTING_ERROR");
  }
}

TEST_CASE("read or write, by method and path") {
  auto cfg = make_config();
  struct row {
    std::string method;
    std::string target;
    almagate::access needed;
  };
  const row rows[] = {
      {"GET", "/almaws/v1/users/x", almagate::access::read},
      {"HEAD", "/almaws/v1/users/x", almagate::access::read},
      {"POST", "/almaws/v1/users/x?op=auth&password=p", almagate::access::read},
      {"POST", "/almaws/v1/users/x/loans?op=auth", almagate::access::read_write},
      {"POST", "/almaws/v1/users/x?op=renew", almagate::access::read_write},
      {"POST", "/almaws/v1/bibs/test", almagate::access::read},
      {"POST", "/almaws/v1/users/test", almagate::access::read_write},
      {"POST", "/almaws/v1/users/operation/test", almagate::access::read},
      {"POST", "/almaws/v1/bibs", almagate::access::read_write},
      {"PUT", "/almaws/v1/users/x", almagate::access::read_write},
      {"DELETE", "/almaws/v1/users/x", almagate::access::read_write},
      {"PATCH", "/almaws/v1/bibs/1", almagate::access::read_write},
      {"PUT", "/almaws/v1/bibs/test", almagate::access::read_write},
  };
  for (const auto& r : rows) {
    CAPTURE(r.method);
    CAPTURE(r.target);
    // The writer may do anything: the plan says what was needed.
    auto d = decide(bearer(r.method, r.target, writer_token).view(), *cfg);
    REQUIRE(d.forward.has_value());
    CHECK(d.forward->needed == r.needed);
    // The reader may only read in users and bibs.
    auto rd = decide(bearer(r.method, r.target, reader_token).view(), *cfg);
    if (r.needed == almagate::access::read) {
      CHECK(rd.forward.has_value());
    } else {
      check_refused(rd, 403, "FORBIDDEN");
      CHECK(rd.refused.message.find("read-write") != std::string::npos);
    }
  }
}

TEST_CASE("403 names the area and the access it needed") {
  auto cfg = make_config();
  SUBCASE("write in a read-only area") {
    auto d = decide(bearer("PUT", "/almaws/v1/users/x", reader_token).view(), *cfg);
    check_refused(d, 403, "FORBIDDEN");
    CHECK(d.who == &cfg->clients["reader"]);
    CHECK(d.refused.message.find("users") != std::string::npos);
    CHECK(d.refused.message.find("read-write") != std::string::npos);
    CHECK(d.refused.message.find("production") != std::string::npos);
  }
  SUBCASE("read in an area with no grant") {
    auto d = decide(bearer("GET", "/almaws/v1/acq/funds", reader_token).view(), *cfg);
    check_refused(d, 403, "FORBIDDEN");
    CHECK(d.refused.message.find("acquisitions") != std::string::npos);
    CHECK(d.refused.message.find("read access") != std::string::npos);
    CHECK(d.refused.message.find("read-write") == std::string::npos);
  }
  SUBCASE("task-lists spelled as in the config") {
    auto d = decide(bearer("POST", "/almaws/v1/task-lists/printouts?op=mark_as_printed",
                           prod_only_token)
                        .view(),
                    *cfg);
    check_refused(d, 403, "FORBIDDEN");
    CHECK(d.refused.message.find("task-lists") != std::string::npos);
    CHECK(d.refused.message.find("read-write") != std::string::npos);
  }
  SUBCASE("a read-only client may still run the read-only POSTs") {
    for (std::string target : {"/almaws/v1/users/x?op=auth", "/almaws/v1/conf/test",
                               "/almaws/v1/users/operation/test"}) {
      CAPTURE(target);
      auto d = decide(bearer("POST", target, prod_only_token).view(), *cfg);
      REQUIRE(d.forward.has_value());
      CHECK(d.forward->needed == almagate::access::read);
    }
  }
}

TEST_CASE("nasty targets are 400 before anything else") {
  auto cfg = make_config();
  for (std::string target :
       {"/almaws/v1/bibs/%2e%2e/conf", "/almaws/v1/bibs/..%2Fconf", "/almaws/v1/users/%5c",
        "/almaws/v1/bibs/a;b", "//almaws/v1/bibs", "/almaws/v1//bibs",
        "http://evil/almaws/v1/bibs", "*", "/almaws/v1/bibs/%00", "/almaws/v1/bibs/%252e",
        "/almaws/v1/bibs/\x01", "/almaws/v1/users/x?op=auth&op=delete",
        "/almaws/v1/users/x?op=&op=auth", "/almaws/v1/bibs/%c0%ae%c0%ae/conf"}) {
    CAPTURE(target);
    auto with_token = decide(bearer("POST", target, writer_token).view(), *cfg);
    check_refused(with_token, 400, "INVALID_REQUEST");
    auto without = decide(without_headers("GET", target), *cfg);
    check_refused(without, 400, "INVALID_REQUEST");
  }
}

TEST_CASE("method-override headers and unknown methods are 400") {
  auto cfg = make_config();
  auto c = bearer("POST", "/almaws/v1/users/x?op=auth", writer_token);
  c.method_override = true;
  check_refused(decide(c.view(), *cfg), 400, "INVALID_REQUEST");
  auto get = bearer("GET", "/almaws/v1/bibs/1", writer_token);
  get.method_override = true;
  check_refused(decide(get.view(), *cfg), 400, "INVALID_REQUEST");
  for (std::string method : {"OPTIONS", "TRACE", "CONNECT", "get", "PROPFIND", ""}) {
    CAPTURE(method);
    check_refused(decide(bearer(method, "/almaws/v1/bibs/1", writer_token).view(), *cfg), 400,
                  "INVALID_REQUEST");
  }
}

TEST_CASE("the format parameter is kept for the error body") {
  auto cfg = make_config();
  auto refused = decide(without_headers("GET", "/almaws/v1/bibs/1?format=json"), *cfg);
  check_refused(refused, 401, "UNAUTHORIZED");
  CHECK(refused.format_param == "json");
  // format_param views the request target: keep the call alive while it is read.
  const auto put = bearer("PUT", "/almaws/v1/bibs/1?format=xml", reader_token);
  auto forbidden = decide(put.view(), *cfg);
  check_refused(forbidden, 403, "FORBIDDEN");
  CHECK(forbidden.format_param == "xml");
  const auto get = bearer("GET", "/almaws/v1/bibs/1?format=json", reader_token);
  auto forwarded = decide(get.view(), *cfg);
  REQUIRE(forwarded.forward.has_value());
  CHECK(forwarded.format_param == "json");
}

TEST_CASE("the plan's target keeps secrets out of the log target") {
  auto cfg = make_config();
  auto d = decide(bearer("POST", "/almaws/v1/users/x?op=auth&password=hunter2&apikey=" +
                                     std::string(reader_token),
                         reader_token)
                      .view(),
                  *cfg);
  REQUIRE(d.forward.has_value());
  CHECK(d.forward->target.upstream_target == "/almaws/v1/users/x?op=auth&password=hunter2");
  CHECK(d.forward->target.log_target() == "/almaws/v1/users/x?op=auth&password=REDACTED");
}
