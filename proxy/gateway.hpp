#pragma once
// State shared by every event loop: the config snapshot, TLS contexts and loggers.

#include <atomic>
#include <map>
#include <memory>
#include <optional>

#include <spdlog/logger.h>

#include "policy/budget_store.hpp"
#include "policy/config.hpp"
#include "proxy/access_log.hpp"
#include "proxy/io.hpp"
#include "proxy/metrics.hpp"

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

  // Live quota overrides (client -> daily quota), read from the store every second.
  using quota_overrides = std::map<std::string, std::int64_t, std::less<>>;
  std::shared_ptr<const quota_overrides> overrides() const {
    return overrides_.load(std::memory_order_acquire);
  }
  void set_overrides(quota_overrides next) {
    overrides_.store(std::make_shared<const quota_overrides>(std::move(next)),
                     std::memory_order_release);
  }
  // The quota a client has now: its live override, else its configured one.
  std::optional<std::int64_t> quota_of(const client& c) const;

  gateway_metrics metrics;

  // Calls between their header and their last byte, for a graceful stop.
  std::atomic<int> calls_in_flight{0};
  // Store writes a graceful stop waits for (leased calls given back).
  std::atomic<int> pending_store_writes{0};
  // Set on SIGTERM: responses say Connection: close, no new connection is accepted.
  std::atomic<bool> draining{false};

  // Set while the store fails, so an outage is logged once, not once per call.
  std::atomic<bool> store_down{false};

  almagate::access_log& access_log() { return *access_log_; }
  spdlog::logger& log() { return *log_; }

 private:
  std::atomic<config_ptr> config_;
  std::atomic<std::shared_ptr<const quota_overrides>> overrides_{
      std::make_shared<const quota_overrides>()};
  std::unique_ptr<ssl::context> upstream_tls_;
  std::unique_ptr<ssl::context> client_tls_;
  std::unique_ptr<almagate::access_log> access_log_;
  std::shared_ptr<spdlog::logger> log_;
  store_factory store_factory_;
};

}  // namespace almagate
