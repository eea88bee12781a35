// The admin endpoint and the CLI against two real gateways sharing one Redis.

#include <doctest/doctest.h>

#include "tests/e2e/budget_fixture.hpp"
#include "tests/support/process.hpp"
#include "tests/support/wait.hpp"

using namespace almagate::test;

namespace {

const std::string admin_token = "agt_admin-token-DDDDDDDDDDDDDDDDDDDDDDDDDDDDDD";
const budget_client core{"patron-requests", "core"};
const budget_client caiasoft{"caiasoft-sync", "standard", 50};

header_list bearer(const std::string& token = admin_token) {
  return {{"Authorization", "Bearer " + token}};
}

// `almagate ARGS...` against gateway 0's admin endpoint; returns {exit code, stdout, stderr}.
struct cli_run {
  int code;
  std::string out, err;
};
cli_run run_cli(budget_fixture& f, std::vector<std::string> args,
                const std::string& token = admin_token) {
  args.push_back("--admin");
  args.push_back(f.gateways[0]->admin_url());
  env_vars env;
  if (!token.empty()) env.push_back({"ALMAGATE_ADMIN_TOKEN", token});
  process p(ALMAGATE_BIN, args, env);
  auto code = p.wait(std::chrono::seconds(20));
  REQUIRE(code.has_value());
  return {*code, p.stdout_text(), p.stderr_text()};
}

// A client's entry in GET /v1/clients.
boost::json::object client_entry(budget_fixture& f, std::size_t gateway, const std::string& id) {
  auto r = f.client.get(f.gateways[gateway]->admin_url() + "/v1/clients", bearer());
  REQUIRE(r.status == 200);
  auto body = r.json();
  for (const auto& c : body.at("clients").as_array())
    if (c.at("id").as_string() == id) return c.as_object();
  FAIL("no client " << id);
  return {};
}

}  // namespace

TEST_CASE("admin: health, readiness, metrics and usage reflect the traffic") {
  budget_fixture f({.daily_limit = 1000, .clients = {core, caiasoft}, .store = "redis",
                    .gateways = 2, .admin_token = admin_token});
  for (int i = 0; i < 3; ++i) CHECK(f.call(caiasoft, 0).status == 200);
  CHECK(f.call(caiasoft, 1).status == 200);
  CHECK(f.call(core, 1, "/almaws/v1/items?item_barcode=1").status == 302);
  std::string admin = f.gateways[0]->admin_url();

  CHECK(f.client.get(admin + "/healthz").status == 200);
  CHECK(f.client.get(admin + "/readyz").status == 401);
  CHECK(f.client.get(admin + "/readyz", bearer()).status == 200);
  CHECK(f.client.get(admin + "/metrics", bearer("agt_wrong")).status == 401);

  auto metrics = f.client.get(admin + "/metrics", bearer());
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("almagate_calls_total{client=\"caiasoft-sync\",environment=\"production\","
                          "area=\"bibs\",outcome=\"forwarded\"} 3") != std::string::npos);
  // Pool gauges come from Redis: both gateways' calls.
  CHECK(metrics.body.find("almagate_pool_used{pool=\"institution\"} 5") != std::string::npos);
  CHECK(metrics.body.find("almagate_client_quota_remaining{client=\"caiasoft-sync\","
                          "pool=\"institution\"} 46") != std::string::npos);
  CHECK(metrics.body.find("almagate_upstream_latency_seconds_count") != std::string::npos);

  // Usage lines are written within a tenth of a second of the calls: wait until all are in.
  std::string usage_body;
  std::int64_t caiasoft_calls = 0, core_redirects = 0;
  bool all_in = wait_for(
      [&] {
        auto usage = f.client.get(admin + "/v1/usage?format=json", bearer());
        REQUIRE(usage.status == 200);
        usage_body = usage.body;
        auto report = usage.json().as_object();
        CHECK(report.at("pools").at(0).at("used").to_number<int>() == 5);
        caiasoft_calls = core_redirects = 0;
        for (const auto& row : report.at("usage").as_array()) {
          CHECK(row.at("area").as_string() == "bibs");
          if (row.at("client").as_string() == "caiasoft-sync")
            caiasoft_calls += row.at("calls").to_number<int>();
          if (row.at("client").as_string() == "patron-requests" &&
              row.at("status_class").as_string() == "3xx")
            core_redirects += row.at("calls").to_number<int>();
        }
        return caiasoft_calls == 4 && core_redirects == 1;
      },
      std::chrono::seconds(5));
  CAPTURE(usage_body);
  CHECK(all_in);
  CHECK(caiasoft_calls == 4);
  CHECK(core_redirects == 1);

  auto csv = f.client.get(admin + "/v1/usage?format=csv", bearer());
  CHECK(csv.status == 200);
  CHECK(csv.body.rfind("date,client,environment,area,access,status_class,calls,pool", 0) == 0);
  CHECK(csv.body.find(",caiasoft-sync,production,bibs,read,2xx,4,institution,1000,5") !=
        std::string::npos);

  f.redis->stop();
  CHECK(f.client.get(admin + "/readyz", bearer()).status == 503);
  f.redis->start();
  CHECK(wait_for([&] { return f.client.get(admin + "/readyz", bearer()).status == 200; },
                 std::chrono::seconds(10)));
}

TEST_CASE("admin: a live quota override set on one gateway applies on the other, and survives restarts") {
  budget_fixture f({.daily_limit = 1000, .clients = {core, caiasoft}, .store = "redis",
                    .gateways = 2, .admin_token = admin_token});
  CHECK(f.call(caiasoft, 1).status == 200);
  CHECK(f.call(caiasoft, 1).status == 200);

  auto set = f.client.request("PUT", f.gateways[0]->admin_url() + "/v1/clients/caiasoft-sync/quota",
                              bearer(), R"({"daily_quota": 2})");
  CHECK(set.status == 200);
  // Gateway 1 applies it by itself: its next call is refused for the quota.
  CHECK(wait_for([&] { return f.call(caiasoft, 1).status == 429; }, std::chrono::seconds(2)));
  auto entry = client_entry(f, 1, "caiasoft-sync");
  CHECK(entry.at("quota_override").to_number<int>() == 2);
  CHECK(entry.at("configured_quota").to_number<int>() == 50);
  CHECK(entry.at("remaining").to_number<int>() == 0);

  for (auto& gw : f.gateways) gw->restart();
  CHECK(client_entry(f, 0, "caiasoft-sync").at("quota_override").to_number<int>() == 2);
  CHECK(f.call(caiasoft, 0).status == 429);

  auto cleared = f.client.request(
      "DELETE", f.gateways[1]->admin_url() + "/v1/clients/caiasoft-sync/quota", bearer());
  CHECK(cleared.status == 200);
  CHECK(wait_for([&] { return f.call(caiasoft, 0).status == 200; }, std::chrono::seconds(2)));
  CHECK(client_entry(f, 0, "caiasoft-sync").at("quota_override").is_null());

  auto unknown = f.client.request("PUT", f.gateways[0]->admin_url() + "/v1/clients/nobody/quota",
                                  bearer(), R"({"daily_quota": 2})");
  CHECK(unknown.status == 404);
}

TEST_CASE("admin: POST /v1/reload reloads like SIGHUP") {
  budget_fixture f({.clients = {core}, .admin_token = admin_token});
  auto r = f.client.request("POST", f.gateways[0]->admin_url() + "/v1/reload", bearer());
  CHECK(r.status == 200);
  CHECK(wait_for([&] {
    return f.gateways[0]->process().stderr_text().find("config reloaded") != std::string::npos;
  }, std::chrono::seconds(5)));
}

TEST_CASE("CLI: usage, quota show, quota set and quota clear talk to a running gateway") {
  budget_fixture f({.daily_limit = 1000, .clients = {core, caiasoft}, .store = "redis",
                    .admin_token = admin_token});
  CHECK(f.call(caiasoft).status == 200);

  auto usage = run_cli(f, {"usage"});
  CHECK(usage.code == 0);
  CHECK(usage.out.find("institution") != std::string::npos);
  CHECK(usage.out.find("caiasoft-sync") != std::string::npos);

  auto csv = run_cli(f, {"usage", "--format", "csv"});
  CHECK(csv.code == 0);
  CHECK(csv.out.find("caiasoft-sync,production,bibs,read,2xx,1,institution") !=
        std::string::npos);

  auto set = run_cli(f, {"quota", "set", "caiasoft-sync", "7"});
  CHECK(set.code == 0);
  auto show = run_cli(f, {"quota", "show"});
  CHECK(show.code == 0);
  CHECK(show.out.find("caiasoft-sync") != std::string::npos);
  CHECK(show.out.find(" 7 ") != std::string::npos);
  CHECK(client_entry(f, 0, "caiasoft-sync").at("quota_override").to_number<int>() == 7);
  // `check` reports the live overrides it finds in the store next to the config.
  process check(ALMAGATE_BIN, {"check", "--config", f.gateways[0]->config_path().string(),
                               "--no-secrets"});
  REQUIRE(check.wait(std::chrono::seconds(20)) == 0);
  CHECK(check.stdout_text().find("caiasoft-sync: 7 (configured: 50)") != std::string::npos);

  CHECK(run_cli(f, {"quota", "clear", "caiasoft-sync"}).code == 0);
  CHECK(client_entry(f, 0, "caiasoft-sync").at("quota_override").is_null());

  // Errors: a clear message and a non-zero exit, never the token.
  auto wrong = run_cli(f, {"quota", "show"}, "agt_wrong-admin-token");
  CHECK(wrong.code == 1);
  CHECK(wrong.err.find("agt_wrong-admin-token") == std::string::npos);
  CHECK(!wrong.err.empty());
  CHECK(run_cli(f, {"quota", "set", "nobody", "3"}).code == 1);
  auto no_token = run_cli(f, {"usage"}, "");
  CHECK(no_token.code == 2);
  CHECK(no_token.err.find("ALMAGATE_ADMIN_TOKEN") != std::string::npos);
}

TEST_CASE("connections are spread evenly over the event loops, whatever the kernel's hash") {
  budget_fixture f({.daily_limit = 1000, .clients = {core}, .admin_token = admin_token});
  // Sixteen keep-alive connections opened one after another, each kept open after a call.
  std::vector<std::unique_ptr<http_client>> scripts;
  for (int i = 0; i < 16; ++i) {
    scripts.push_back(std::make_unique<http_client>(
        client_options{.ca_file = f.sim.tls().ca_cert, .keep_alive = true}));
    REQUIRE(scripts.back()->get(f.url("/almaws/v1/bibs/" + std::to_string(i)),
                                {{"Authorization", "apikey " + core.token()}})
                .status == 200);
  }
  auto metrics = f.client.get(f.gateways[0]->admin_url() + "/metrics", bearer());
  REQUIRE(metrics.status == 200);
  CAPTURE(metrics.body);
  // The fixture runs two event loops; each serves half (the admin's own connection is not a
  // script connection).
  CHECK(metrics.body.find("almagate_event_loop_connections{loop=\"0\"} 8\n") != std::string::npos);
  CHECK(metrics.body.find("almagate_event_loop_connections{loop=\"1\"} 8\n") != std::string::npos);
  for (auto& s : scripts) CHECK(s->connections_opened() == 1);
}
