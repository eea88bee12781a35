// load_config refusals: each names the file, the right line and the field path.
#include <doctest/doctest.h>

#include <cstdlib>

#include "policy/config.hpp"
#include "policy/config_test_support.hpp"

namespace almagate {
namespace {

using namespace config_test;

struct refusal {
  const char* name;
  std::string from;     // text in base_yaml() ...
  std::string to;       // ... replaced by this
  std::string at;       // the error's line holds this (first occurrence in the edited text) ...
  std::string after;    // ... at or after the line holding this, when not empty
  std::string field;    // the field path in the message
  std::string message;  // a part of the message after the field
};

const std::string sync_production =
    "      production: { key: caiasoft-production, areas: { bibs: read-write, users: read } }\n";

const std::vector<refusal> refusals = {
    {"unknown field, nested", "    daily_quota: 60000", "    daily_qouta: 60000", "daily_qouta", "",
     "clients.caiasoft-sync.daily_qouta", "unknown field"},
    {"unknown field, top level", "store: memory", "stor: memory", "stor:", "",
     "stor", "unknown field"},
    {"unknown field in a flow map", "max_wait: 10s", "max_wiat: 10s", "max_wiat", "",
     "pools.institution.max_wiat", "unknown field"},
    {"client area wider than the key's", sync_production,
     "      production: { key: caiasoft-production, areas: { bibs: read-write, users: read-write } }\n",
     "users: read-write", "", "clients.caiasoft-sync.access.production.areas.users",
     "\"read-write\" is wider than key caiasoft-production allows (\"read\")"},
    {"client area the key lacks", sync_production,
     "      production:\n        key: caiasoft-production\n        areas:\n          bibs: read\n"
     "          acquisitions: read\n",
     "acquisitions: read", "", "clients.caiasoft-sync.access.production.areas.acquisitions",
     "\"read\" is wider than key caiasoft-production allows (\"none\")"},
    {"key used for another environment", "sandbox: { key: caiasoft-sandbox",
     "sandbox: { key: caiasoft-production", "sandbox: { key", "",
     "clients.caiasoft-sync.access.sandbox.key",
     "key caiasoft-production belongs to environment production, not sandbox"},
    {"unknown area in a key", "areas: { bibs: read-write, users: read }",
     "areas: { bibz: read-write, users: read }", "bibz", "", "keys.caiasoft-production.areas.bibz",
     "unknown area \"bibz\""},
    {"unknown access in a key", "areas: { bibs: read-write }", "areas: { bibs: write }",
     "bibs: write", "", "keys.caiasoft-sandbox.areas.bibs", "unknown access \"write\""},
    {"unknown environment in a client", "      sandbox: { key: caiasoft-sandbox",
     "      staging: { key: caiasoft-sandbox", "staging", "",
     "clients.caiasoft-sync.access.staging", "unknown environment \"staging\""},
    {"unknown environment in a key", "    environment: sandbox", "    environment: test",
     "environment: test", "", "keys.caiasoft-sandbox.environment", "unknown environment \"test\""},
    {"unknown key in a client", "key: admin-production", "key: admin-prod", "key: admin-prod", "",
     "clients.nightly-jobs.access.production.key", "unknown key \"admin-prod\""},
    {"unknown tier", "tier: batch", "tier: bulk", "tier: bulk", "", "clients.nightly-jobs.tier",
     "unknown tier \"bulk\""},
    {"unknown pool", "    pool: institution", "    pool: consortium", "pool: consortium", "",
     "environments.production.pool", "unknown pool \"consortium\""},
    {"two clients with the same token", "token_sha256: \"" + token_b, "token_sha256: \"" + token_a,
     "token_sha256", "nightly-jobs", "clients.nightly-jobs.token_sha256",
     "clients caiasoft-sync and nightly-jobs have the same token"},
    {"configuration read-write without justification",
     "    configuration_write_justification: \"Runs the nightly publishing job\"\n", "",
     "configuration: read-write", "nightly-jobs",
     "clients.nightly-jobs.access.production.areas.configuration",
     "needs clients.nightly-jobs.configuration_write_justification"},
    {"key with both secret_env and secret_file", "    secret_env: ALMAGATE_TEST_KEY_ADMIN\n",
     "    secret_env: ALMAGATE_TEST_KEY_ADMIN\n    secret_file: admin.key\n", "secret_file: admin",
     "", "keys.admin-production.secret_file", "either secret_env or secret_file, not both"},
    {"key with neither secret_env nor secret_file", "    secret_env: ALMAGATE_TEST_KEY_ADMIN\n", "",
     "admin-production:", "", "keys.admin-production",
     "needs secret_env (an environment variable) or secret_file"},
    {"misspelled section", "environments:\n", "environment_list:\n", "environment_list", "",
     "environment_list", "unknown field"},
    {"missing upstream", "    upstream: \"http://127.0.0.1:8081\"\n", "    default: false\n", "  sandbox:",
     "environments:", "environments.sandbox.upstream", "missing required field"},
    {"missing daily_limit", "    daily_limit: 300000\n", "", "  institution:", "",
     "pools.institution.daily_limit", "missing required field"},
    {"missing token", "    token_sha256: \"" + token_b + "\"\n", "", "  nightly-jobs:", "",
     "clients.nightly-jobs.token_sha256", "missing required field"},
    {"missing listen", "listen: \"127.0.0.1:0\"\n", "", "store", "", "listen",
     "missing required field"},
    {"daily_limit of the wrong type", "daily_limit: 300000", "daily_limit: \"abc\"", "daily_limit",
     "", "pools.institution.daily_limit", "expected an integer, got \"abc\""},
    {"daily_limit not positive", "daily_limit: 300000", "daily_limit: 0", "daily_limit", "",
     "pools.institution.daily_limit", "must be at least 1"},
    {"negative quota", "daily_quota: 60000", "daily_quota: -1", "daily_quota", "",
     "clients.caiasoft-sync.daily_quota", "must be at least 0"},
    {"a map where a string belongs", "tier: core", "tier: { name: core }", "tier:", "",
     "clients.caiasoft-sync.tier", "expected a string"},
    {"bad duration", "max_wait: 10s", "max_wait: 10", "max_wait", "", "pools.institution.max_wait",
     "expected a duration"},
    {"bad reset time", "time: \"02:30\"", "time: \"24:00\"", "time:", "",
     "pools.institution.reset.time", "expected a time of day \"HH:MM\""},
    {"unknown time zone", "America/New_York", "America/Gotham", "Gotham", "",
     "pools.institution.reset.timezone", "unknown time zone \"America/Gotham\""},
    {"batch reserve below standard", "batch: 90000", "batch: 100", "reserve:", "",
     "pools.institution.reserve.batch", "at least the standard reserve"},
    {"reserve not below daily_limit", "standard: 30000", "standard: 300000", "reserve:", "",
     "pools.institution.reserve.standard", "must be less than daily_limit"},
    {"pacing not positive", "per_second: 25", "per_second: 0", "per_second: 0", "",
     "pools.institution.per_second", "must be above 0"},
    {"pacing headroom out of range", "max_wait: 10s", "max_wait: 10s\n    pacing_headroom: 1.5",
     "pacing_headroom", "", "pools.institution.pacing_headroom", "must be between 0.5 and 1"},
    {"environment named almaws", "  sandbox:\n    upstream", "  almaws:\n    upstream", "almaws:", "",
     "environments.almaws", "\"almaws\" cannot be an environment name"},
    {"environment name not simple", "  sandbox:\n    upstream", "  Sand_box:\n    upstream",
     "Sand_box", "", "environments.Sand_box", "only a-z, 0-9 and '-'"},
    {"two defaults", "    upstream: \"http://127.0.0.1:8081\"\n",
     "    upstream: \"http://127.0.0.1:8081\"\n    default: true\n", "default: true", "sandbox:",
     "environments.sandbox.default", "production and sandbox are both marked default: true"},
    {"no default among two", "    default: true\n", "", "environments:", "", "environments",
     "mark exactly one default: true"},
    {"upstream with a path", "exlibrisgroup.com/\"", "exlibrisgroup.com/almaws/v1\"", "almaws/v1",
     "", "environments.production.upstream", "must not have a path"},
    {"upstream not http", "http://127.0.0.1:8081", "ftp://127.0.0.1:8081", "ftp:", "",
     "environments.sandbox.upstream", "the scheme must be http or https"},
    {"upstream with a query", "http://127.0.0.1:8081", "http://127.0.0.1:8081/?a=b", "?a=b", "",
     "environments.sandbox.upstream", "must not have a query"},
    {"bad listen", "listen: \"127.0.0.1:0\"", "listen: \"127.0.0.1\"", "listen", "", "listen",
     "expected \"host:port\""},
    {"bad store", "store: memory", "store: \"rediss://h:1/0\"", "store", "", "store",
     "expected \"memory\" or \"redis://host:port/db\""},
    {"bad redis db", "store: memory", "store: \"redis://h:6379/x\"", "store", "", "store",
     "the redis database must be a number"},
    {"bad store_failure", "store: memory", "store: memory\nstore_failure: maybe", "store_failure",
     "", "store_failure", "expected closed, open or share"},
    {"alerts not ascending", "store: memory", "store: memory\nalerts: [0.8, 0.5]", "alerts", "",
     "alerts[1]", "ascending"},
    {"alert above 1", "store: memory", "store: memory\nalerts: [0.5, 1.5]", "alerts", "",
     "alerts[1]", "above 0 and at most 1"},
    {"token not hex", "token_sha256: \"" + token_b, "token_sha256: \"" + std::string(64, 'g'),
     "token_sha256", "nightly-jobs", "clients.nightly-jobs.token_sha256", "expected 64 hex digits"},
    {"duplicate field", "    tier: batch\n", "    tier: batch\n    tier: core\n", "tier: core",
     "nightly-jobs", "clients.nightly-jobs.tier", "appears twice"},
    {"client grants no environment", sync_production + "      sandbox: { key: caiasoft-sandbox, areas: { bibs: read } }\n",
     "      {}\n", "access:", "", "clients.caiasoft-sync.access", "grant at least one environment"},
};

TEST_CASE("each refusal names the file, the line and the field") {
  for (const refusal& r : refusals) {
    const std::string name = r.name;
    CAPTURE(name);
    temp_dir dir;
    const std::string yaml = replaced(base_yaml(), r.from, r.to);
    const int line = line_of(yaml, r.at, r.after);
    const std::string message = load_error(dir, yaml);
    CAPTURE(message);
    const std::string expected = where(dir, line, r.field);
    CHECK(message.rfind(expected, 0) == 0);
    CHECK(message.find(r.message) != std::string::npos);
  }
}

TEST_CASE("the exact message for a grant wider than its key") {
  temp_dir dir;
  const std::string yaml = replaced(base_yaml(), sync_production,
      "      production: { key: caiasoft-production, areas: { bibs: read-write, users: read-write } }\n");
  CHECK(load_error(dir, yaml) ==
        where(dir, 38, "clients.caiasoft-sync.access.production.areas.users") +
            "\"read-write\" is wider than key caiasoft-production allows (\"read\")");
}

TEST_CASE("a config without environments is refused at line 1") {
  temp_dir dir;
  CHECK(load_error(dir, "listen: \"127.0.0.1:0\"\n") ==
        where(dir, 1, "environments") + "missing required field");
  CHECK(load_error(dir, "listen: \"127.0.0.1:0\"\nenvironments: {}\n") ==
        where(dir, 2, "environments") + "at least one environment is required");
}

TEST_CASE("a YAML syntax error names the file and line") {
  temp_dir dir;
  const std::string yaml = replaced(base_yaml(), "tier: core", "tier: [core");
  const std::string message = load_error(dir, yaml);
  CHECK(message.rfind((dir.path() / "almagate.yaml").string() + ":", 0) == 0);
}

TEST_CASE("a missing file is refused with its name") {
  CHECK_THROWS_WITH_AS(load_config("/tmp/almagate-no-such-dir/x.yaml"),
                       "/tmp/almagate-no-such-dir/x.yaml: cannot read the config file",
                       config_error);
}

TEST_CASE("secrets: missing, unreadable or empty, and never in a message") {
  temp_dir dir;
  const std::string secret = "l7xxTOPSECRETdoNotPrint42";
  const load_options with_secrets{.load_secrets = true};
  ::setenv("ALMAGATE_TEST_KEY_ADMIN", secret.c_str(), 1);
  dir.write("secrets/caiasoft-sandbox.key", secret + "\n");

  SUBCASE("variable not set") {
    ::unsetenv("ALMAGATE_TEST_KEY_CAIASOFT");
    const std::string yaml = base_yaml();
    const std::string message = load_error(dir, yaml, with_secrets);
    CHECK(message == where(dir, line_of(yaml, "ALMAGATE_TEST_KEY_CAIASOFT"),
                           "keys.caiasoft-production.secret_env") +
                         "environment variable ALMAGATE_TEST_KEY_CAIASOFT for key "
                         "caiasoft-production is not set");
  }
  SUBCASE("variable empty") {
    ::setenv("ALMAGATE_TEST_KEY_CAIASOFT", "  \n", 1);
    const std::string message = load_error(dir, base_yaml(), with_secrets);
    CHECK(message.find("the secret for key caiasoft-production in environment variable "
                       "ALMAGATE_TEST_KEY_CAIASOFT is empty") != std::string::npos);
  }
  SUBCASE("file missing") {
    ::setenv("ALMAGATE_TEST_KEY_CAIASOFT", secret.c_str(), 1);
    const std::string yaml = replaced(base_yaml(), "caiasoft-sandbox.key", "missing.key");
    const std::string message = load_error(dir, yaml, with_secrets);
    CHECK(message == where(dir, line_of(yaml, "missing.key"), "keys.caiasoft-sandbox.secret_file") +
                         "cannot read secret file " + (dir.path() / "secrets/missing.key").string() +
                         " for key caiasoft-sandbox");
    CHECK(message.find(secret) == std::string::npos);
  }
  SUBCASE("file empty") {
    ::setenv("ALMAGATE_TEST_KEY_CAIASOFT", secret.c_str(), 1);
    dir.write("secrets/caiasoft-sandbox.key", "\n");
    CHECK(load_error(dir, base_yaml(), with_secrets).find("caiasoft-sandbox") != std::string::npos);
  }
  SUBCASE("a secret with inner whitespace is refused without being shown") {
    ::setenv("ALMAGATE_TEST_KEY_CAIASOFT", (secret + " " + secret).c_str(), 1);
    const std::string message = load_error(dir, base_yaml(), with_secrets);
    CHECK(message.find("contains spaces or control characters") != std::string::npos);
    CHECK(message.find(secret) == std::string::npos);
  }
  SUBCASE("errors after the secrets were read do not show them") {
    ::setenv("ALMAGATE_TEST_KEY_CAIASOFT", secret.c_str(), 1);
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"tier: batch", "tier: bulk"},
             {"key: admin-production", "key: admin-prod"},
             {"configuration: read-write", "configuration: read-write\n          bibs: read"}}) {
      const std::string message = load_error(dir, replaced(base_yaml(), from, to), with_secrets);
      CHECK(message.find(secret) == std::string::npos);
    }
  }
  ::unsetenv("ALMAGATE_TEST_KEY_CAIASOFT");
  ::unsetenv("ALMAGATE_TEST_KEY_ADMIN");
}

}  // namespace
}  // namespace almagate
