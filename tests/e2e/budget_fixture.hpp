#pragma once
// Gateways with a pool, tiers and quotas in front of one simulator, on the memory store or on
// a shared redis-server.

#include <memory>
#include <string>
#include <vector>

#include "policy/token.hpp"
#include "tests/support/gateway_server.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/sim_server.hpp"

namespace almagate::test {

inline const std::string shared_key = "l7xx-sim-prod-budget-0000000000000000000";

// One script: its token, tier and optional quota.
struct budget_client {
  std::string id;
  std::string tier;
  long quota = -1;  // -1: none
  std::string token() const { return "agt_" + id + "-token"; }
};

struct budget_options {
  long daily_limit = 100;
  long reserve_standard = 20;
  long reserve_batch = 50;
  std::vector<budget_client> clients{};
  std::string store = "memory";
  std::string store_failure = "closed";
  std::int64_t sim_daily_limit = 0;
  int gateways = 1;
  std::string admin_token{};  // set: an admin listener on an ephemeral port
  double per_second = 0;      // pool pacing; 0 = not paced
  std::string max_wait = "10s";
  double sim_per_second = 0;  // the simulator's own per-second threshold
  std::string extra_config{};
};

inline std::string budget_yaml(const sim_server& sim, const budget_options& o) {
  std::string y = "listen: \"127.0.0.1:0\"\nthreads: 2\n";
  y += "upstream_ca: \"" + sim.tls().ca_cert.string() + "\"\n";
  y += "store: \"" + o.store + "\"\nstore_failure: " + o.store_failure + "\n";
  if (!o.admin_token.empty())
    y += "admin: { listen: \"127.0.0.1:0\", token_sha256: \"" + sha256_hex(o.admin_token) +
         "\" }\n";
  y += o.extra_config;
  y += "pools:\n  institution:\n    daily_limit: " + std::to_string(o.daily_limit) +
       "\n    reset: { time: \"00:00\", timezone: \"America/New_York\" }\n" +
       "    reserve: { standard: " + std::to_string(o.reserve_standard) +
       ", batch: " + std::to_string(o.reserve_batch) + " }\n";
  if (o.per_second > 0)
    y += "    per_second: " + std::to_string(o.per_second) + "\n    max_wait: " + o.max_wait + "\n";
  y += "environments:\n  production: { upstream: \"" + sim.base_url() +
       "\", default: true, pool: institution }\n";
  y += "keys:\n  shared-bibs:\n    environment: production\n    secret_env: TEST_KEY\n"
       "    areas: { bibs: read-write }\n";
  y += "clients:\n";
  for (const auto& c : o.clients) {
    y += "  " + c.id + ":\n    tier: " + c.tier + "\n";
    if (c.quota >= 0) y += "    daily_quota: " + std::to_string(c.quota) + "\n";
    y += "    token_sha256: \"" + sha256_hex(c.token()) + "\"\n";
    y += "    access: { production: { key: shared-bibs, areas: { bibs: read-write } } }\n";
  }
  return y;
}

struct budget_fixture {
  explicit budget_fixture(budget_options options)
      : sim(sim_options{.keys = {sim_key::full_access(shared_key)},
                        .daily_limit = options.sim_daily_limit,
                        .per_second = options.sim_per_second}),
        client(client_options{.ca_file = sim.tls().ca_cert}) {
    if (options.store == "redis") {
      redis = std::make_unique<redis_server>();
      options.store = redis->url() + "/0";
    }
    for (int i = 0; i < options.gateways; ++i)
      gateways.push_back(std::make_unique<gateway_server>(gateway_options{
          .config_text = budget_yaml(sim, options), .env = {{"TEST_KEY", shared_key}}}));
  }

  std::string url(std::string_view path, std::size_t gateway = 0) const {
    return gateways.at(gateway)->base_url() + std::string(path);
  }

  response call(const budget_client& who, std::size_t gateway = 0,
                std::string_view path = "/almaws/v1/bibs/991234?format=json") {
    return client.get(url(path, gateway), {{"Authorization", "apikey " + who.token()}});
  }

  std::int64_t sim_accepted() { return sim.stats().at("accepted").to_number<std::int64_t>(); }
  std::int64_t sim_received() { return sim.stats().at("received").to_number<std::int64_t>(); }

  sim_server sim;
  std::unique_ptr<redis_server> redis;
  std::vector<std::unique_ptr<gateway_server>> gateways;
  http_client client;
};

inline std::string error_code_of(const response& r) {
  return std::string(r.json().at("errorList").at("error").at(0).at("errorCode").as_string());
}

inline std::string error_message_of(const response& r) {
  return std::string(r.json().at("errorList").at("error").at(0).at("errorMessage").as_string());
}

}  // namespace almagate::test
