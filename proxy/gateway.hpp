#pragma once
// State shared by every event loop: the config snapshot, TLS contexts and loggers.

#include <atomic>
#include <memory>

#include <spdlog/logger.h>

#include "policy/budget_store.hpp"
#include "policy/config.hpp"
#include "proxy/io.hpp"

namespace date {
class time_zone;
}

namespace almagate {

class gateway {
 public:
  explicit gateway(config_ptr initial);

  // The snapshot a new call uses; a call keeps the one it started with.
  config_ptr snapshot() const { return config_.load(std::memory_order_acquire); }
  void swap_config(config_ptr next);

  ssl::context& upstream_tls() { return *upstream_tls_; }
  ssl::context* client_tls() { return client_tls_.get(); }  // null: plain HTTP to scripts

  // The budget store of one event loop (memory or Redis, from the config at start).
  std::unique_ptr<budget_store> make_store(executor ex) const { return store_factory_(ex); }
  const date::time_zone* zone_of(const pool& p) const;

  // Calls between their header and their last byte, for a graceful stop.
  std::atomic<int> calls_in_flight{0};
  std::atomic<int> open_connections{0};
  // Set on SIGTERM: responses say Connection: close, no new connection is accepted.
  std::atomic<bool> draining{false};

  // Set while the store fails, so an outage is logged once, not once per call.
  std::atomic<bool> store_down{false};

  spdlog::logger& access_log() { return *access_log_; }
  spdlog::logger& log() { return *log_; }

 private:
  std::atomic<config_ptr> config_;
  std::unique_ptr<ssl::context> upstream_tls_;
  std::unique_ptr<ssl::context> client_tls_;
  std::shared_ptr<spdlog::logger> access_log_;
  std::shared_ptr<spdlog::logger> log_;
  store_factory store_factory_;
};

}  // namespace almagate
