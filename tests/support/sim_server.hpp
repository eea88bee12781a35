#pragma once
// The Alma simulator (alma-sim) for one test: HTTPS on 127.0.0.1, an ephemeral port, its own
// keys, and a control client for what it recorded.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

namespace almagate::test {

// One Alma key the simulator accepts: areas as in config ("bibs", "task-lists", ...) ->
// "read" or "read-write".
struct sim_key {
  std::string key;
  std::string environment = "production";  // or "sandbox"
  std::vector<std::pair<std::string, std::string>> areas{};

  // Every area read-write.
  static sim_key full_access(std::string key, std::string environment = "production");
};

struct sim_options {
  std::vector<sim_key> keys{};
  std::int64_t daily_limit = 0;  // 0: none
  double per_second = 0;         // 0: none
  std::int64_t latency_ms = 0;   // added to every /almaws answer
  std::vector<std::string> extra_args{};  // e.g. {"--latency-ms", "50"}
  env_vars env{};
  std::chrono::milliseconds start_timeout = std::chrono::seconds(20);
};

class sim_server {
 public:
  // Writes sim.yaml and the TLS files into its own temp_dir, starts alma-sim and waits for
  // its port file. Throws std::runtime_error (with the simulator's stderr) if it does not come up.
  explicit sim_server(sim_options options = {});
  ~sim_server();

  std::uint16_t port() const { return port_; }
  std::string base_url() const;  // "https://localhost:PORT"
  const tls_material& tls() const { return tls_; }
  const temp_dir& dir() const { return dir_; }
  test::process& process() { return *process_; }
  // A client that trusts the simulator's CA.
  http_client& client() { return *client_; }
  client_options client_settings() const;

  // Control API. Each throws std::runtime_error if the simulator does not answer 2xx.
  boost::json::array requests();    // GET /_sim/requests
  void clear();                     // DELETE /_sim/requests
  boost::json::object stats();      // GET /_sim/stats
  void reset();                     // POST /_sim/reset
  // PUT /_sim/thresholds with the fields given.
  void set_thresholds(std::optional<std::int64_t> daily_limit,
                      std::optional<double> per_second = std::nullopt,
                      std::optional<std::int64_t> latency_ms = std::nullopt);

 private:
  response control(std::string_view method, std::string_view path, const std::string& body = {});

  temp_dir dir_;
  tls_material tls_;
  std::unique_ptr<test::process> process_;
  std::unique_ptr<http_client> client_;
  std::uint16_t port_ = 0;
};

// The YAML config alma-sim reads.
std::string sim_config_yaml(const sim_options& options);

}  // namespace almagate::test
