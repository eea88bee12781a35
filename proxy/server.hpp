#pragma once
// The gateway process: one event loop per thread, each with its own SO_REUSEPORT acceptor
// on the listen address, so threads share no locks on the hot path.

#include <memory>
#include <string>
#include <vector>

#include "proxy/gateway.hpp"
#include "proxy/worker.hpp"

namespace almagate {

class server {
 public:
  explicit server(config_ptr cfg);
  ~server();

  // Binds the listeners (port 0 picks a free port). Throws on failure, before serving.
  void bind();
  std::uint16_t port() const { return port_; }

  // Serves until SIGINT or SIGTERM (or stop()), then returns.
  void run();
  void stop();

  gateway& shared() { return *shared_; }

 private:
  awaitable<void> accept_loop(tcp::acceptor& acceptor, worker& owner);

  std::unique_ptr<gateway> shared_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;
  std::uint16_t port_ = 0;
};

}  // namespace almagate
