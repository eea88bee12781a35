#include "proxy/admin_cli.hpp"

#include <doctest/doctest.h>

#include <sstream>

#include "proxy/admin_test_fixture.hpp"

using namespace almagate;
using namespace almagate::test;

namespace {

struct cli_run {
  std::ostringstream out;
  std::ostringstream err;
  admin_cli_options options;

  explicit cli_run(const std::string& url, std::optional<std::string> token = admin_test_token) {
    options.admin_url = url;
    options.token = std::move(token);
    options.timeout = std::chrono::seconds(5);
    options.out = &out;
    options.err = &err;
  }
};

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("cli: usage prints aligned tables, or the raw JSON or CSV") {
  fake_admin_backend backend;
  admin_test_server server(backend);

  cli_run table(server.url());
  CHECK(run_usage(table.options, std::string("2026-11-27")) == 0);
  auto text = table.out.str();
  CHECK(table.err.str().empty());
  CHECK(contains(text, "Usage on 2026-11-27"));
  CHECK(contains(text, "POOL   LIMIT  USED  REMAINING\n"));
  CHECK(contains(text, "main  100000  1234      98766\n"));
  CHECK(contains(text, "CLIENT         ENVIRONMENT  AREA   ACCESS      STATUS  CALLS\n"));
  CHECK(contains(text, "caiasoft-sync  production   bibs   read-write  2xx      1000\n"));
  CHECK(contains(text, "total                                                   1234\n"));

  cli_run csv(server.url());
  CHECK(run_usage(csv.options, std::nullopt, "csv") == 0);
  CHECK(csv.out.str().starts_with("date,client,environment,area,access,status_class,calls,"));

  cli_run json(server.url());
  CHECK(run_usage(json.options, std::nullopt, "json") == 0);
  CHECK(json.out.str().starts_with("{\"date\":\"2026-11-29\""));
  CHECK(backend.calls() ==
        std::vector<std::string>{"usage 2026-11-27", "usage today", "usage today"});
}

TEST_CASE("cli: quota show, set and clear") {
  fake_admin_backend backend;
  admin_test_server server(backend);

  cli_run show(server.url());
  CHECK(run_quota_show(show.options) == 0);
  auto text = show.out.str();
  CHECK(contains(text, "CLIENT         TIER      QUOTA  OVERRIDE  USED  REMAINING  GRANTS\n"));
  CHECK(contains(text, "caiasoft-sync  standard   5000         -  1000       4000  production: bibs=rw users=r\n"));
  CHECK(contains(text, "spine-labels   batch         -        50    34         16  production: bibs=r\n"));

  cli_run set(server.url());
  CHECK(run_quota_set(set.options, "caiasoft-sync", 250) == 0);
  CHECK(set.out.str() == "caiasoft-sync: daily quota 250 (live override; configured 5000)\n");

  cli_run clear(server.url());
  CHECK(run_quota_clear(clear.options, "caiasoft-sync") == 0);
  CHECK(clear.out.str() == "caiasoft-sync: daily quota 5000 (configured; no override)\n");

  cli_run unknown(server.url());
  CHECK(run_quota_set(unknown.options, "nobody", 5) == 1);
  CHECK(unknown.out.str().empty());
  CHECK(contains(unknown.err.str(), "404"));
  CHECK(contains(unknown.err.str(), "No client named nobody."));

  // A client id that needs escaping in the path arrives whole.
  cli_run odd(server.url());
  CHECK(run_quota_clear(odd.options, "a/b c") == 1);
  CHECK(backend.calls().back() == "clear_quota a/b c");
}

TEST_CASE("cli: errors give a clear message and a non-zero exit") {
  fake_admin_backend backend;
  admin_test_server server(backend);

  cli_run no_token(server.url(), std::nullopt);
  CHECK(run_quota_show(no_token.options) == 2);
  CHECK(contains(no_token.err.str(), "ALMAGATE_ADMIN_TOKEN is not set"));

  cli_run wrong_token(server.url(), "adm_wrong");
  CHECK(run_usage(wrong_token.options, std::nullopt) == 1);
  CHECK(contains(wrong_token.err.str(), "401"));
  CHECK(contains(wrong_token.err.str(), "UNAUTHORIZED"));
  // The token itself never shows up in a message.
  CHECK(!contains(wrong_token.err.str(), "adm_wrong"));

  cli_run bad_date(server.url());
  CHECK(run_usage(bad_date.options, std::string("29.11.2026")) == 2);
  CHECK(contains(bad_date.err.str(), "YYYY-MM-DD"));
  cli_run bad_format(server.url());
  CHECK(run_usage(bad_format.options, std::nullopt, "xml") == 2);
  cli_run negative(server.url());
  CHECK(run_quota_set(negative.options, "caiasoft-sync", -1) == 2);

  cli_run bad_url("ftp://127.0.0.1:1");
  CHECK(run_quota_show(bad_url.options) == 2);
  CHECK(contains(bad_url.err.str(), "http://"));

  // Nothing listens on the port of a server that is gone.
  std::string gone_url;
  {
    fake_admin_backend other;
    admin_test_server gone(other);
    gone_url = gone.url();
  }
  cli_run unreachable(gone_url);
  CHECK(run_quota_show(unreachable.options) == 1);
  CHECK(contains(unreachable.err.str(), "cannot connect"));

  // None of these reached the backend (the wrong token stopped at the endpoint).
  CHECK(backend.calls().empty());
}
