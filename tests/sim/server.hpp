#pragma once
// The simulator's listeners: one io_context per thread, each with its own SO_REUSEPORT
// acceptor on the same port, so the kernel spreads connections and threads share nothing
// but sim_state.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proxy/io.hpp"
#include "tests/sim/sim_state.hpp"

namespace almagate::sim {

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port
  int threads = 1;
  ssl::context* tls = nullptr;  // null: plain HTTP
};

class sim_server {
 public:
  // Binds and listens on every acceptor; throws boost::system::system_error on failure.
  // SIGINT and SIGTERM are caught from here on and stop run().
  sim_server(const server_options& options, sim_state& state);
  ~sim_server();

  std::uint16_t port() const { return port_; }
  // Serves until stop() or a signal; the calling thread runs the first io_context.
  void run();
  void stop();

 private:
  std::vector<std::unique_ptr<net::io_context>> contexts_;
  std::vector<tcp_acceptor> acceptors_;
  std::unique_ptr<net::signal_set> signals_;
  ssl::context* tls_;
  sim_state& state_;
  std::uint16_t port_ = 0;
};

}  // namespace almagate::sim
