// load_config on valid configs: every field resolved, secrets read, the example loads.
#include <doctest/doctest.h>

#include <cstdlib>

#include "policy/config.hpp"
#include "policy/config_test_support.hpp"

namespace almagate {
namespace {

using namespace config_test;
using namespace std::chrono_literals;

const std::string secret_caiasoft = "l7xxCAIASOFTsecret0001";
const std::string secret_admin = "l8xxADMINsecret0002";
const std::string secret_sandbox = "l7xxSANDBOXsecret0003";

struct secrets_fixture {
  temp_dir dir;
  secrets_fixture() {
    ::setenv("ALMAGATE_TEST_KEY_CAIASOFT", secret_caiasoft.c_str(), 1);
    ::setenv("ALMAGATE_TEST_KEY_ADMIN", secret_admin.c_str(), 1);
    dir.write("secrets/caiasoft-sandbox.key", secret_sandbox + "\n\n");
  }
};

TEST_CASE("a full config loads with every field resolved") {
  secrets_fixture fx;
  const std::string full = replaced(base_yaml(), "store: memory\n", R"(store: "redis://127.0.0.1:6379/2"
store_failure: share
tls: { cert: certs/server.crt, key: /etc/almagate/server.key }
upstream_ca: ca.pem
threads: 4
limits:
  max_header_bytes: 8192
  max_body_bytes: 1048576
  client_header_timeout: 250ms
  client_body_timeout: 1m
  keepalive_timeout: 5s
  upstream_connect_timeout: 2s
  upstream_response_timeout: 1h
  upstream_idle_per_thread: 8
  upstream_idle_timeout: 30s
admin: { listen: "127.0.0.1:9090", token_sha256: ")" + std::string(64, 'C') + R"(" }
alerts: [0.5, 0.8, 0.95]
)");
  const auto cfg = load_config(fx.dir.write("almagate.yaml", full));
  const auto dir = fx.dir.path();

  CHECK(cfg->source_path == (dir / "almagate.yaml").string());
  CHECK(cfg->listen.host == "127.0.0.1");
  CHECK(cfg->listen.port == 0);
  CHECK(cfg->store == "redis://127.0.0.1:6379/2");
  CHECK(cfg->store_failure == store_failure_mode::share);
  CHECK(cfg->tls_cert == (dir / "certs/server.crt").string());
  CHECK(cfg->tls_key == "/etc/almagate/server.key");
  CHECK(cfg->upstream_ca == (dir / "ca.pem").string());
  CHECK(cfg->threads == 4);
  CHECK(cfg->limit.max_header_bytes == 8192);
  CHECK(cfg->limit.max_body_bytes == 1048576);
  CHECK(cfg->limit.client_header_timeout == 250ms);
  CHECK(cfg->limit.client_body_timeout == 60s);
  CHECK(cfg->limit.keepalive_timeout == 5s);
  CHECK(cfg->limit.upstream_connect_timeout == 2s);
  CHECK(cfg->limit.upstream_response_timeout == 3600s);
  CHECK(cfg->limit.upstream_idle_per_thread == 8);
  CHECK(cfg->limit.upstream_idle_timeout == 30s);
  REQUIRE(cfg->admin.listen.has_value());
  CHECK(cfg->admin.listen->port == 9090);
  CHECK(cfg->admin.token_sha256 == std::string(64, 'c'));
  CHECK(cfg->alerts == std::vector<double>{0.5, 0.8, 0.95});

  REQUIRE(cfg->pools.size() == 1);
  const pool& institution = cfg->pools.at("institution");
  CHECK(institution.name == "institution");
  CHECK(institution.daily_limit == 300000);
  CHECK(institution.reset_time == std::chrono::minutes(150));
  CHECK(institution.timezone == "America/New_York");
  CHECK(institution.reserve_for(tier::core) == 0);
  CHECK(institution.reserve_for(tier::standard) == 30000);
  CHECK(institution.reserve_for(tier::batch) == 90000);
  CHECK(institution.per_second == 25);
  CHECK(institution.max_wait == 10s);
  CHECK(institution.pacing_headroom == doctest::Approx(0.97));  // the default

  const environment* production = cfg->find_environment("production");
  const environment* sandbox = cfg->find_environment("sandbox");
  REQUIRE(production);
  REQUIRE(sandbox);
  CHECK(cfg->find_environment("almaws") == nullptr);
  CHECK(cfg->default_environment == production);
  CHECK(production->is_default);
  CHECK_FALSE(sandbox->is_default);
  CHECK(production->counted_in == &institution);
  CHECK(sandbox->counted_in == nullptr);
  CHECK(production->upstream.tls);
  CHECK(production->upstream.host == "api-na.hosted.exlibrisgroup.com");
  CHECK(production->upstream.port == 443);
  CHECK(production->upstream.text == "https://api-na.hosted.exlibrisgroup.com");
  CHECK_FALSE(sandbox->upstream.tls);
  CHECK(sandbox->upstream.host == "127.0.0.1");
  CHECK(sandbox->upstream.port == 8081);
  CHECK(sandbox->upstream.text == "http://127.0.0.1:8081");

  const api_key& caiasoft = cfg->keys.at("caiasoft-production");
  CHECK(caiasoft.env == production);
  CHECK(caiasoft.secret_env == "ALMAGATE_TEST_KEY_CAIASOFT");
  CHECK(caiasoft.secret == secret_caiasoft);
  CHECK(caiasoft.areas[area::bibs] == access::read_write);
  CHECK(caiasoft.areas[area::users] == access::read);
  CHECK(caiasoft.areas[area::acquisitions] == access::none);
  const api_key& sandbox_key = cfg->keys.at("caiasoft-sandbox");
  CHECK(sandbox_key.env == sandbox);
  CHECK(sandbox_key.secret_file == (dir / "secrets/caiasoft-sandbox.key").string());
  CHECK(sandbox_key.secret == secret_sandbox);
  CHECK(cfg->keys.at("admin-production").secret == secret_admin);

  const client* sync = cfg->find_client_by_token_sha256(token_a);  // stored lower-case
  REQUIRE(sync);
  CHECK(sync == &cfg->clients.at("caiasoft-sync"));
  CHECK(sync->id == "caiasoft-sync");
  CHECK(sync->description == "Accessioning sync");
  CHECK(sync->token_sha256 == token_a);
  CHECK(sync->tier_ == tier::core);
  CHECK(sync->daily_quota == 60000);
  CHECK(sync->per_second == 5);
  REQUIRE(sync->grants.size() == 2);
  const grant* prod_grant = sync->grant_for(production);
  REQUIRE(prod_grant);
  CHECK(prod_grant->key == &caiasoft);
  CHECK(prod_grant->areas.allows(area::bibs, access::read_write));
  CHECK(prod_grant->areas[area::users] == access::read);
  const grant* sandbox_grant = sync->grant_for(sandbox);
  REQUIRE(sandbox_grant);
  CHECK(sandbox_grant->key == &sandbox_key);
  CHECK(sandbox_grant->areas[area::bibs] == access::read);

  const client* jobs = cfg->find_client_by_token_sha256(token_b);
  REQUIRE(jobs);
  CHECK(jobs->tier_ == tier::batch);
  CHECK_FALSE(jobs->daily_quota.has_value());
  CHECK(jobs->per_second == 0);
  CHECK(jobs->configuration_write_justification == "Runs the nightly publishing job");
  CHECK(jobs->grant_for(sandbox) == nullptr);
  CHECK(cfg->find_client_by_token_sha256(std::string(64, 'd')) == nullptr);

  CHECK(cfg->warnings == std::vector<std::string>{"environment sandbox is counted in no pool"});
}

TEST_CASE("defaults: optional sections left out") {
  temp_dir dir;
  const auto cfg = load_config(dir.write("min.yaml", R"(listen: "[::1]:8080"
environments:
  only: { upstream: "https://api-eu.hosted.exlibrisgroup.com:8443" }
)"),
                               {.load_secrets = false});
  CHECK(cfg->listen.host == "::1");
  CHECK(cfg->listen.port == 8080);
  CHECK(cfg->store == "memory");
  CHECK(cfg->store_failure == store_failure_mode::closed);
  CHECK(cfg->tls_cert.empty());
  CHECK(cfg->threads == 0);
  CHECK(cfg->limit.max_body_bytes == 1024ull * 1024 * 1024);
  CHECK_FALSE(cfg->admin.listen.has_value());
  CHECK(cfg->alerts.empty());
  CHECK(cfg->pools.empty());
  // The only environment is the default without the flag.
  REQUIRE(cfg->default_environment);
  CHECK(cfg->default_environment->name == "only");
  CHECK(cfg->default_environment->upstream.port == 8443);
  CHECK(cfg->default_environment->upstream.host_field == "api-eu.hosted.exlibrisgroup.com:8443");
  CHECK(cfg->clients.empty());
}

TEST_CASE("the upstream's Host field: the port only off the scheme's default, IPv6 bracketed") {
  temp_dir dir;
  const auto cfg = load_config(dir.write("hosts.yaml", R"(listen: "127.0.0.1:8080"
environments:
  a: { upstream: "https://api-na.hosted.exlibrisgroup.com", default: true }
  b: { upstream: "http://127.0.0.1:80/" }
  c: { upstream: "http://[::1]:8080" }
  d: { upstream: "https://[::1]" }
)"),
                               {.load_secrets = false});
  auto host_of = [&](const std::string& name) { return cfg->environments.at(name).upstream.host_field; };
  CHECK(host_of("a") == "api-na.hosted.exlibrisgroup.com");
  CHECK(host_of("b") == "127.0.0.1");
  CHECK(host_of("c") == "[::1]:8080");
  CHECK(host_of("d") == "[::1]");
}

TEST_CASE("tier names") {
  CHECK(tier_name(tier::core) == "core");
  CHECK(tier_name(tier::standard) == "standard");
  CHECK(tier_name(tier::batch) == "batch");
}

TEST_CASE("a client's tier defaults to standard; a pool's reset to midnight UTC") {
  temp_dir dir;
  const std::string yaml = replaced(
      replaced(base_yaml(), "    tier: core\n", ""),
      "    reset: { time: \"02:30\", timezone: \"America/New_York\" }\n", "");
  const auto cfg = load_config(dir.write("almagate.yaml", yaml), {.load_secrets = false});
  CHECK(cfg->clients.at("caiasoft-sync").tier_ == tier::standard);
  CHECK(cfg->pools.at("institution").reset_time == std::chrono::minutes(0));
  CHECK(cfg->pools.at("institution").timezone == "UTC");
  // load_secrets = false leaves the secrets empty.
  CHECK(cfg->keys.at("caiasoft-production").secret.empty());
}

TEST_CASE("a pool's pacing_headroom is read (default 0.97, range checked in config_errors_test)") {
  temp_dir dir;
  const std::string yaml =
      replaced(base_yaml(), "    max_wait: 10s\n", "    max_wait: 10s\n    pacing_headroom: 0.95\n");
  const auto cfg = load_config(dir.write("almagate.yaml", yaml), {.load_secrets = false});
  CHECK(cfg->pools.at("institution").pacing_headroom == doctest::Approx(0.95));
}

TEST_CASE("durations parse") {
  CHECK(parse_duration("250ms") == 250ms);
  CHECK(parse_duration("10s") == 10s);
  CHECK(parse_duration("5m") == 300s);
  CHECK(parse_duration("1h") == 3600s);
  CHECK(parse_duration("0s") == 0ms);
  for (const char* bad : {"", "10", "s", "-1s", "+1s", "1.5s", "10 s", " 10s", "10sec", "10S",
                          "1d", "99999999999999999999h", "9223372036854775807h"})
    CHECK_MESSAGE(!parse_duration(bad).has_value(), bad);
}

TEST_CASE("the example config loads without secrets") {
  const auto example =
      std::filesystem::path(__FILE__).parent_path().parent_path() / "configs/almagate.example.yaml";
  const auto cfg = load_config(example.string(), {.load_secrets = false});
  CHECK(cfg->default_environment == cfg->find_environment("production"));
  REQUIRE(cfg->find_environment("sandbox"));
  CHECK(cfg->find_environment("production")->counted_in == &cfg->pools.at("institution"));
  CHECK(cfg->keys.size() >= 4);
  CHECK(cfg->clients.size() >= 4);
  for (const auto& [id, c] : cfg->clients) {
    CHECK_MESSAGE(cfg->find_client_by_token_sha256(c.token_sha256) == &c, id);
    CHECK_MESSAGE(!c.grants.empty(), id);
  }
}

}  // namespace
TEST_CASE("find_client_by_token_sha256 compares whole digests, found from a view") {
  config cfg;
  // Two digests alike in the first 16 characters, which the map hashes by.
  const std::string first = std::string(16, 'a') + std::string(48, '1');
  const std::string second = std::string(16, 'a') + std::string(48, '2');
  auto& one = cfg.clients["one"];
  one.token_sha256 = first;
  auto& two = cfg.clients["two"];
  two.token_sha256 = second;
  auto& short_key = cfg.clients["short"];
  short_key.token_sha256 = "abc";
  for (auto& [id, c] : cfg.clients) cfg.client_by_token_sha256.emplace(c.token_sha256, &c);
  const std::string buffer = "x" + second + "x";
  CHECK(cfg.find_client_by_token_sha256(std::string_view(buffer).substr(1, 64)) == &two);
  CHECK(cfg.find_client_by_token_sha256(first) == &one);
  CHECK(cfg.find_client_by_token_sha256("abc") == &short_key);
  CHECK(cfg.find_client_by_token_sha256(std::string(16, 'a') + std::string(48, '3')) == nullptr);
  CHECK(cfg.find_client_by_token_sha256(std::string(16, 'a')) == nullptr);
  CHECK(cfg.find_client_by_token_sha256("") == nullptr);
}

}  // namespace almagate
