#include "tests/support/sim_server.hpp"

#include <yaml-cpp/yaml.h>

#include <boost/json/serialize.hpp>

#include <stdexcept>

#include "tests/support/port_file.hpp"
#include "tests/support/wait.hpp"

#ifndef ALMA_SIM_BIN
#define ALMA_SIM_BIN "alma-sim"
#endif

namespace almagate::test {

sim_key sim_key::full_access(std::string key, std::string environment) {
  sim_key k{std::move(key), std::move(environment), {}};
  for (const char* area : {"acquisitions", "analytics", "bibs", "configuration", "courses",
                           "electronic", "partners", "task-lists", "users"})
    k.areas.emplace_back(area, "read-write");
  return k;
}

std::string sim_config_yaml(const sim_options& options) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "daily_limit" << YAML::Value << options.daily_limit;
  out << YAML::Key << "per_second" << YAML::Value << options.per_second;
  out << YAML::Key << "latency_ms" << YAML::Value << options.latency_ms;
  out << YAML::Key << "keys" << YAML::Value << YAML::BeginMap;
  for (const auto& k : options.keys) {
    out << YAML::Key << k.key << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "environment" << YAML::Value << k.environment;
    out << YAML::Key << "areas" << YAML::Value << YAML::BeginMap;
    for (const auto& [area, access] : k.areas) out << YAML::Key << area << YAML::Value << access;
    out << YAML::EndMap << YAML::EndMap;
  }
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

sim_server::sim_server(sim_options options) : dir_("almagate-sim") {
  tls_ = make_test_pki(dir_);
  const auto config = dir_.write_file("sim.yaml", sim_config_yaml(options));
  const auto port_file = dir_.file("sim.port");
  std::vector<std::string> args{"--config", config.string(),
                                "--listen", "127.0.0.1:0",
                                "--tls-cert", tls_.server_cert.string(),
                                "--tls-key", tls_.server_key.string(),
                                "--port-file", port_file.string()};
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  process_ = std::make_unique<test::process>(ALMA_SIM_BIN, std::move(args), options.env,
                                             process_logs{dir_.path(), "alma-sim"});

  std::optional<std::uint16_t> port;
  const bool up = wait_for(
      [&] {
        port = try_read_port(port_file, "port");
        if (!port) port = try_read_port(port_file, "listen");
        return port.has_value() || !process_->running();
      },
      options.start_timeout);
  if (!up || !port)
    throw std::runtime_error("alma-sim did not start: " + process_->describe());
  port_ = *port;
  client_ = std::make_unique<http_client>(client_settings());
}

sim_server::~sim_server() = default;

std::string sim_server::base_url() const {
  return "https://localhost:" + std::to_string(port_);
}

client_options sim_server::client_settings() const {
  client_options o;
  o.ca_file = tls_.ca_cert;
  return o;
}

response sim_server::control(std::string_view method, std::string_view path,
                             const std::string& body) {
  header_list headers;
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  response r = client_->request(method, base_url() + std::string(path), headers, body);
  if (r.status < 200 || r.status > 299)
    throw std::runtime_error("alma-sim " + std::string(method) + " " + std::string(path) +
                             ": status " + std::to_string(r.status) + " " + r.error.message() +
                             " " + r.body);
  return r;
}

boost::json::array sim_server::requests() {
  return control("GET", "/_sim/requests").json().as_array();
}

void sim_server::clear() { control("DELETE", "/_sim/requests"); }

boost::json::object sim_server::stats() { return control("GET", "/_sim/stats").json().as_object(); }

void sim_server::reset() { control("POST", "/_sim/reset"); }

void sim_server::set_thresholds(std::optional<std::int64_t> daily_limit,
                                std::optional<double> per_second,
                                std::optional<std::int64_t> latency_ms) {
  boost::json::object body;
  if (daily_limit) body["daily_limit"] = *daily_limit;
  if (per_second) body["per_second"] = *per_second;
  if (latency_ms) body["latency_ms"] = *latency_ms;
  control("PUT", "/_sim/thresholds", boost::json::serialize(body));
}

}  // namespace almagate::test
