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

  // The snapshot a new call uses; a call keeps the one it started with. Each thread keeps the
  // current one and checks a version number, instead of locking the shared pointer per call.
  config_ptr snapshot() const {
    return cached(config_, config_version_);
  }
  void swap_config(config_ptr next);

  ssl::context& upstream_tls() { return *upstream_tls_; }
  ssl::context* client_tls() { return client_tls_.get(); }  // null: plain HTTP to scripts

  // The budget store of one event loop (memory or Redis, from the config at start).
  std::unique_ptr<budget_store> make_store(executor ex) const { return store_factory_(ex); }
  const date::time_zone* zone_of(const pool& p) const;

  // Live quota overrides (client -> daily quota), read from the store every second.
  using quota_overrides = std::map<std::string, std::int64_t, std::less<>>;
  std::shared_ptr<const quota_overrides> overrides() const {
    return cached(overrides_, overrides_version_);
  }
  void set_overrides(quota_overrides next) {
    overrides_.store(std::make_shared<const quota_overrides>(std::move(next)),
                     std::memory_order_release);
    overrides_version_.store(next_version(), std::memory_order_release);
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
  // Versions are unique in the process (a counter shared by all gateways), so a thread's cached
  // copy is never taken for another gateway's, even one built where an old one was.
  static std::uint64_t next_version() {
    static std::atomic<std::uint64_t> counter{1};
    return counter.fetch_add(1, std::memory_order_relaxed);
  }
  // The thread's copy of `shared`, reloaded when `version` has moved on.
  template <class Ptr>
  static Ptr cached(const std::atomic<Ptr>& shared, const std::atomic<std::uint64_t>& version) {
    thread_local struct {
      std::uint64_t version = 0;
      Ptr value;
    } cache;
    auto now = version.load(std::memory_order_acquire);
    if (cache.version != now) {
      cache.value = shared.load(std::memory_order_acquire);
      cache.version = now;
    }
    return cache.value;
  }

  std::atomic<config_ptr> config_;
  std::atomic<std::uint64_t> config_version_{next_version()};
  std::atomic<std::uint64_t> overrides_version_{next_version()};
  std::atomic<std::shared_ptr<const quota_overrides>> overrides_{
      std::make_shared<const quota_overrides>()};
  std::unique_ptr<ssl::context> upstream_tls_;
  std::unique_ptr<ssl::context> client_tls_;
  std::unique_ptr<almagate::access_log> access_log_;
  std::shared_ptr<spdlog::logger> log_;
  store_factory store_factory_;
};

}  // namespace almagate
