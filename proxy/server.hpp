#pragma once
// The gateway process: one event loop per thread, each with its own SO_REUSEPORT acceptor
// on the listen address, so threads share no locks on the hot path; a new connection goes to
// the loop serving the fewest.

#include <memory>
#include <string>
#include <vector>

#include "proxy/admin_gateway.hpp"
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
  std::uint16_t admin_port() const { return admin_port_; }  // 0: no admin listener

  // Serves until SIGINT or SIGTERM, then returns. SIGHUP reloads the config.
  void run();

  // Stops accepting, lets calls in flight finish within limits.shutdown_timeout, then stops.
  void shutdown();

  // Loads and validates the config file again; a valid one is swapped in (new calls use it,
  // calls in flight finish on the old one), an invalid one is refused and the old one kept.
  reload_result reload();

  gateway& shared() { return *shared_; }

 private:
  awaitable<void> accept_loop(tcp_acceptor& acceptor, worker& owner);
  worker& least_loaded(worker& owner);
  awaitable<void> admin_accept_loop();
  awaitable<void> drain_then_stop();
  void stop_all();
  void wait_for_signal(net::signal_set& signals);

  std::unique_ptr<gateway> shared_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::unique_ptr<tcp_acceptor>> acceptors_;
  std::uint16_t port_ = 0;
  std::unique_ptr<admin_gateway> admin_;
  std::unique_ptr<tcp_acceptor> admin_acceptor_;
  std::uint16_t admin_port_ = 0;
};

}  // namespace almagate
