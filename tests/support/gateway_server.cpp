#include "tests/support/gateway_server.hpp"

#include <stdexcept>

#include "tests/support/port_file.hpp"

#ifndef ALMAGATE_BIN
#define ALMAGATE_BIN "almagate"
#endif

namespace almagate::test {

gateway_server::gateway_server(gateway_options options)
    : options_(std::move(options)), dir_("almagate-gw") {
  config_path_ = options_.config_text.empty() ? options_.config_file
                                              : dir_.write_file("almagate.yaml", options_.config_text);
  if (config_path_.empty()) throw std::invalid_argument("gateway_server: no config");
  start();
}

gateway_server::~gateway_server() = default;

void gateway_server::start() {
  const auto port_file = dir_.file("gw.port");
  // A port file left by the previous run would give its old ports.
  std::error_code ignored;
  std::filesystem::remove(port_file, ignored);
  port_ = admin_port_ = 0;

  std::vector<std::string> args{"serve", "--config", config_path_.string(), "--port-file",
                                port_file.string()};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  ++runs_;
  process_ = std::make_unique<test::process>(
      ALMAGATE_BIN, std::move(args), options_.env,
      process_logs{dir_.path(), "gw-" + std::to_string(runs_)});
  try {
    port_ = read_port_file(port_file, "listen", options_.start_timeout,
                           [this] { return process_->running(); });
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("almagate did not start: ") + e.what() + "\n" +
                             process_->describe());
  }
  admin_port_ = try_read_port(port_file, "admin").value_or(0);
}

std::string gateway_server::base_url() const {
  if (options_.tls) return "https://localhost:" + std::to_string(port_);
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string gateway_server::admin_url() const {
  return "http://127.0.0.1:" + std::to_string(admin_port_);
}

int gateway_server::stop(std::chrono::milliseconds grace) {
  return process_->terminate(SIGTERM, grace);
}

void gateway_server::restart() {
  stop();
  start();
}

}  // namespace almagate::test
