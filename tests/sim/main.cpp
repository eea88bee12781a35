// alma-sim: a simulated Alma API for tests, the quick start and benchmarks.
// See tests/sim/README.md for flags and control endpoints.

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "tests/sim/server.hpp"
#include "tests/sim/sim_config.hpp"

namespace {

using namespace almagate;

struct listen_spec {
  std::string host;
  std::uint16_t port = 0;
};

// "127.0.0.1:0", "[::1]:8080".
std::optional<listen_spec> parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  listen_spec spec;
  spec.host = text.substr(0, colon);
  if (spec.host.size() > 2 && spec.host.front() == '[' && spec.host.back() == ']')
    spec.host = spec.host.substr(1, spec.host.size() - 2);
  try {
    const int port = std::stoi(text.substr(colon + 1));
    if (port < 0 || port > 65535) return std::nullopt;
    spec.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return spec;
}

// Written beside, then renamed: a reader never sees half a file.
void write_port_file(const std::string& path, std::uint16_t port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "{\"port\": " << port << "}\n";
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"alma-sim: a simulated Alma API"};
  std::string config_path, listen = "127.0.0.1:0", cert, key, port_file;
  std::optional<std::int64_t> daily_limit, per_second, latency_ms;
  int threads = 1;
  bool no_record = false, verbose = false;
  app.add_option("--config", config_path, "YAML config: thresholds and keys")->required();
  app.add_option("--listen", listen, "host:port to listen on (port 0: any free port)");
  app.add_option("--tls-cert", cert, "PEM certificate chain: serve HTTPS only");
  app.add_option("--tls-key", key, "PEM private key for --tls-cert");
  app.add_option("--port-file", port_file, "write {\"port\": N} here once listening");
  app.add_option("--daily-limit", daily_limit, "daily threshold (0: none)");
  app.add_option("--per-second", per_second, "per-second threshold (0: none)");
  app.add_option("--latency-ms", latency_ms, "delay every /almaws answer");
  app.add_option("--threads", threads, "I/O threads, one io_context each")
      ->check(CLI::Range(1, 64));
  app.add_flag("--no-record", no_record, "do not keep the request list");
  app.add_flag("--verbose", verbose, "log each request (method, path, status) to stderr");
  CLI11_PARSE(app, argc, argv);

  try {
    auto spec = parse_listen(listen);
    if (!spec) throw std::runtime_error("--listen must be host:port, got " + listen);
    if (cert.empty() != key.empty())
      throw std::runtime_error("--tls-cert and --tls-key go together");

    sim::sim_config config = sim::load_sim_config(config_path);
    if (daily_limit) config.limits.daily_limit = *daily_limit;
    if (per_second) config.limits.per_second = *per_second;
    if (latency_ms) config.limits.latency_ms = *latency_ms;

    std::optional<ssl::context> tls;
    if (!cert.empty()) {
      tls.emplace(ssl::context::tls_server);
      tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1);
      tls->use_certificate_chain_file(cert);
      tls->use_private_key_file(key, ssl::context::pem);
    }

    sim::sim_state state(std::move(config.keys), config.limits, !no_record, verbose);
    sim::server_options options{spec->host, spec->port, threads, tls ? &*tls : nullptr};
    sim::sim_server server(options, state);
    if (!port_file.empty()) write_port_file(port_file, server.port());
    std::cout << "alma-sim listening on " << (tls ? "https" : "http") << "://" << spec->host
              << ':' << server.port() << std::endl;
    server.run();
  } catch (const std::exception& e) {
    std::cerr << "alma-sim: " << e.what() << std::endl;
    return 2;
  }
  return 0;
}
