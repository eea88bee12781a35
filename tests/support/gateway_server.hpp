#pragma once
// almagate for one test: `almagate serve --config FILE --port-file DIR/gw.port`, waiting for
// the ports it bound. Real Alma keys go in `env`, under the names the config's secret_env gives.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace almagate::test {

struct gateway_options {
  std::string config_text{};            // written to <dir>/almagate.yaml, if not empty
  std::filesystem::path config_file{};  // used as is when config_text is empty
  env_vars env{};
  std::vector<std::string> extra_args{};  // after the fixed ones
  bool tls = false;  // the config sets tls_cert/tls_key: base_url() is https://localhost:PORT
  std::chrono::milliseconds start_timeout = std::chrono::seconds(20);
};

class gateway_server {
 public:
  // Starts the gateway and waits for "listen" (and "admin", if written) in the port file.
  // Throws std::runtime_error with the gateway's stderr if it does not come up.
  explicit gateway_server(gateway_options options);
  ~gateway_server();

  std::uint16_t port() const { return port_; }
  std::uint16_t admin_port() const { return admin_port_; }  // 0: no admin listener
  std::string base_url() const;   // "http://127.0.0.1:PORT" (tls: "https://localhost:PORT")
  std::string admin_url() const;  // "http://127.0.0.1:ADMIN_PORT"
  const temp_dir& dir() const { return dir_; }
  const std::filesystem::path& config_path() const { return config_path_; }
  // The current run (logs: process().stderr_text()). Each start logs to gw-N.stdout/.stderr.
  test::process& process() { return *process_; }

  // SIGTERM, then SIGKILL after `grace`. Returns the exit code (-N: killed by signal N).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  // Stops if running and starts again with the same options. Ports bound as 0 change.
  void restart();

 private:
  void start();

  gateway_options options_;
  temp_dir dir_;
  std::filesystem::path config_path_;
  std::unique_ptr<test::process> process_;
  unsigned runs_ = 0;
  std::uint16_t port_ = 0;
  std::uint16_t admin_port_ = 0;
};

}  // namespace almagate::test
