#pragma once
// The admin endpoint's view of the running gateway: reports read from the config snapshot and
// the store, quota overrides written to the store, reload through the server.

#include <functional>

#include "proxy/admin_backend.hpp"
#include "proxy/gateway.hpp"

namespace almagate {

class admin_gateway : public admin_backend {
 public:
  // `store`: the budget store of the event loop the admin endpoint runs on.
  admin_gateway(gateway& shared, budget_store& store, std::function<reload_result()> reload)
      : shared_(shared), store_(store), reload_(std::move(reload)) {}

  std::string admin_token_sha256() const override;
  awaitable<bool> ready() override;
  awaitable<std::string> metrics_text() override;
  awaitable<admin_result<usage_report>> usage(std::optional<std::string> date) override;
  awaitable<admin_result<hours_report>> usage_hours(std::optional<std::string> date) override;
  awaitable<admin_result<clients_report>> clients() override;
  awaitable<admin_result<quota_change>> set_quota(std::string client, std::int64_t n) override;
  awaitable<admin_result<quota_change>> clear_quota(std::string client) override;
  reload_result reload() override { return reload_(); }

  // Reads the overrides from the store and publishes them to every event loop.
  awaitable<bool> refresh_overrides();

 private:
  gateway& shared_;
  budget_store& store_;
  std::function<reload_result()> reload_;
};

// Every second: refresh the overrides, so each instance applies a change within one second.
awaitable<void> poll_overrides(admin_gateway& admin);

}  // namespace almagate
