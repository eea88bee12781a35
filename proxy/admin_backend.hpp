#pragma once
// Everything the admin endpoint needs from the gateway. The gateway implements it against the
// real config and store; tests use a fake. Called on the admin connection's event loop.

#include <cstdint>
#include <optional>
#include <string>

#include "proxy/admin_hours.hpp"
#include "proxy/admin_reports.hpp"
#include "proxy/io.hpp"

namespace almagate {

struct reload_result {
  bool ok = false;
  std::string message;  // why not (config_error::what()); never a secret
};

class admin_backend {
 public:
  virtual ~admin_backend() = default;

  // Lower-case hex SHA-256 of the admin token; empty: every protected route answers 401.
  virtual std::string admin_token_sha256() const = 0;

  // Config loaded and store reachable (GET /readyz).
  virtual awaitable<bool> ready() = 0;

  // The Prometheus exposition, e.g. metrics.render(live budget read from the store).
  virtual awaitable<std::string> metrics_text() = 0;

  // `date`: YYYY-MM-DD (already validated), nullopt: today.
  virtual awaitable<admin_result<usage_report>> usage(std::optional<std::string> date) = 0;

  // Calls per local hour of each pool's day that started on `date` (nullopt: today).
  virtual awaitable<admin_result<hours_report>> usage_hours(std::optional<std::string> date) = 0;

  virtual awaitable<admin_result<clients_report>> clients() = 0;

  // Unknown client: admin_error{404, "NOT_FOUND", ...}. n >= 0 (checked by the endpoint).
  virtual awaitable<admin_result<quota_change>> set_quota(std::string client, std::int64_t n) = 0;
  virtual awaitable<admin_result<quota_change>> clear_quota(std::string client) = 0;

  // Same as SIGHUP.
  virtual reload_result reload() = 0;
};

}  // namespace almagate
