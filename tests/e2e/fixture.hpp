#pragma once
// A gateway in front of the simulator over TLS, with a few clients, for end-to-end tests.

#include <memory>
#include <string>

#include "policy/token.hpp"
#include "tests/support/gateway_server.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/sim_server.hpp"

namespace almagate::test {

// The real keys (only the simulator and the gateway know them) and the scripts' tokens.
inline const std::string caiasoft_key = "l7xx-sim-prod-caiasoft-0000000000000001";
inline const std::string labels_key = "l7xx-sim-prod-labels-00000000000000002";
inline const std::string sandbox_key = "l8xx-sim-sandbox-000000000000000000003";
inline const std::string caiasoft_token = "agt_caiasoft-test-token-AAAAAAAAAAAAAAAAAAAAAAA";
inline const std::string labels_token = "agt_labels-test-token-BBBBBBBBBBBBBBBBBBBBBBBBB";

struct fixture_options {
  std::string extra_config{};  // appended to the gateway's YAML
  bool gateway_tls = false;  // scripts reach the gateway over HTTPS
  bool trust_upstream = true;  // false: the simulator's CA is not given (upstream_ca)
};

inline std::string gateway_yaml(const sim_server& sim, const fixture_options& options) {
  std::string upstream = sim.base_url();
  std::string yaml = "listen: \"127.0.0.1:0\"\n";
  yaml += "threads: 2\n";
  if (options.trust_upstream) yaml += "upstream_ca: \"" + sim.tls().ca_cert.string() + "\"\n";
  if (options.gateway_tls)
    yaml += "tls: { cert: \"" + sim.tls().server_cert.string() + "\", key: \"" +
            sim.tls().server_key.string() + "\" }\n";
  yaml += "environments:\n";
  yaml += "  production: { upstream: \"" + upstream + "\", default: true }\n";
  yaml += "  sandbox: { upstream: \"" + upstream + "\" }\n";
  yaml += R"(keys:
  caiasoft-production:
    environment: production
    secret_env: TEST_KEY_CAIASOFT
    areas: { bibs: read-write, users: read }
  labels-production:
    environment: production
    secret_env: TEST_KEY_LABELS
    areas: { bibs: read }
  sandbox-all:
    environment: sandbox
    secret_env: TEST_KEY_SANDBOX
    areas: { bibs: read-write, users: read-write, analytics: read }
clients:
  caiasoft-sync:
    description: "Accessioning sync"
    token_sha256: ")" + sha256_hex(caiasoft_token) + R"("
    access:
      production: { key: caiasoft-production, areas: { bibs: read-write, users: read } }
      sandbox: { key: sandbox-all, areas: { bibs: read-write, users: read-write, analytics: read } }
  spine-labels:
    description: "Spine label printing"
    token_sha256: ")" + sha256_hex(labels_token) + R"("
    access:
      production: { key: labels-production, areas: { bibs: read } }
)";
  yaml += options.extra_config;
  return yaml;
}

struct gateway_fixture {
  explicit gateway_fixture(fixture_options options = {})
      : sim(sim_options{.keys = {
                            {caiasoft_key, "production", {{"bibs", "read-write"}, {"users", "read"}}},
                            {labels_key, "production", {{"bibs", "read"}}},
                            sim_key::full_access(sandbox_key, "sandbox"),
                        }}),
        gateway(gateway_options{
            .config_text = gateway_yaml(sim, options),
            .env = {{"TEST_KEY_CAIASOFT", caiasoft_key},
                    {"TEST_KEY_LABELS", labels_key},
                    {"TEST_KEY_SANDBOX", sandbox_key}},
            .tls = options.gateway_tls}),
        client(client_options{.ca_file = sim.tls().ca_cert}) {}

  std::string url(std::string_view path) const { return gateway.base_url() + std::string(path); }

  // Everything the gateway wrote: its access log (stdout) and its log (stderr).
  std::string gateway_output() {
    return gateway.process().stdout_text() + gateway.process().stderr_text();
  }

  sim_server sim;
  gateway_server gateway;
  http_client client;
};

}  // namespace almagate::test
