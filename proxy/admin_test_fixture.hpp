#pragma once
// For admin tests: a fake backend that records calls and returns canned data, and the admin
// endpoint served on a loopback port by an event loop on its own thread.

#include <mutex>
#include <thread>
#include <vector>

#include "policy/token.hpp"
#include "proxy/admin_backend.hpp"
#include "proxy/admin_server.hpp"

namespace almagate::test {

inline constexpr const char* admin_test_token = "adm_test_token_123";

class fake_admin_backend : public admin_backend {
 public:
  fake_admin_backend() {
    usage_.date = "2026-11-29";
    usage_.pools = {{"main", 100000, 1234}};
    usage_.rows = {{"caiasoft-sync", "production", "bibs", "read-write", 2, 1000, "main"},
                   {"spine-labels", "production", "bibs", "read", 4, 34, "main"},
                   {"odd,\"name\"", "sandbox", "users", "read", 2, 200, ""}};
    client_report_entry caiasoft{"caiasoft-sync", "standard", "main", 5000, std::nullopt, 1000,
                                 4000, {}};
    caiasoft.grants = {{"production", "caiasoft-production",
                        {{"bibs", "read-write"}, {"users", "read"}}}};
    client_report_entry labels{"spine-labels", "batch", "main", std::nullopt, 50, 34, 16, {}};
    labels.grants = {{"production", "labels-production", {{"bibs", "read"}}}};
    clients_.clients = {caiasoft, labels};
  }

  std::string admin_token_sha256() const override { return sha256_hex(admin_test_token); }
  awaitable<bool> ready() override { co_return is_ready; }
  awaitable<std::string> metrics_text() override {
    co_return "# HELP almagate_up Up.\n# TYPE almagate_up gauge\nalmagate_up 1\n";
  }

  awaitable<admin_result<usage_report>> usage(std::optional<std::string> date) override {
    record("usage " + date.value_or("today"));
    auto report = usage_;
    if (date) report.date = *date;
    co_return admin_result<usage_report>::ok(std::move(report));
  }

  awaitable<admin_result<hours_report>> usage_hours(std::optional<std::string> date) override {
    record("usage_hours " + date.value_or("today"));
    hours_report report{date.value_or("2026-11-29"), "2026-11-29T18:30:00Z", {}};
    hours_pool main{"main", "America/New_York", "00:00", 100000, 1234, 10000, 30000,
                    "2026-11-29T05:00:00Z", "2026-11-30T05:00:00Z", {}, std::nullopt, {}};
    main.hours[9] = 400;
    main.hours[13] = 834;
    if (!date) {
      main.current_hour = 13;
      main.current_hour_start = "2026-11-29T18:00:00Z";
    }
    report.pools.push_back(std::move(main));
    co_return admin_result<hours_report>::ok(std::move(report));
  }

  awaitable<admin_result<clients_report>> clients() override {
    record("clients");
    co_return admin_result<clients_report>::ok(clients_);
  }

  awaitable<admin_result<quota_change>> set_quota(std::string client, std::int64_t n) override {
    record("set_quota " + client + " " + std::to_string(n));
    for (auto& c : clients_.clients) {
      if (c.id != client) continue;
      c.quota_override = n;
      co_return admin_result<quota_change>::ok({client, c.configured_quota, n});
    }
    co_return admin_result<quota_change>::fail({404, "NOT_FOUND", "No client named " + client + "."});
  }

  awaitable<admin_result<quota_change>> clear_quota(std::string client) override {
    record("clear_quota " + client);
    for (auto& c : clients_.clients) {
      if (c.id != client) continue;
      c.quota_override.reset();
      co_return admin_result<quota_change>::ok({client, c.configured_quota, std::nullopt});
    }
    co_return admin_result<quota_change>::fail({404, "NOT_FOUND", "No client named " + client + "."});
  }

  reload_result reload() override {
    record("reload");
    return reload_ok ? reload_result{true, {}} : reload_result{false, "x.yaml:3: clients: bad"};
  }

  std::vector<std::string> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }

  // Set before the server starts, read on its thread.
  bool is_ready = true;
  bool reload_ok = true;

 private:
  void record(std::string call) {
    std::lock_guard lock(mutex_);
    calls_.push_back(std::move(call));
  }

  mutable std::mutex mutex_;
  std::vector<std::string> calls_;
  usage_report usage_;
  clients_report clients_;
};

// Serves the admin endpoint on 127.0.0.1:<ephemeral> until destroyed.
class admin_test_server {
 public:
  explicit admin_test_server(admin_backend& backend)
      : acceptor_(ioc_, tcp::endpoint(net::ip::address_v4::loopback(), 0)) {
    port_ = acceptor_.local_endpoint().port();
    net::co_spawn(ioc_, accept_loop(backend), net::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~admin_test_server() {
    ioc_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  awaitable<void> accept_loop(admin_backend& backend) {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) co_return;
      net::co_spawn(acceptor_.get_executor(), serve_admin_connection(std::move(socket), backend),
                    net::detached);
    }
  }

  net::io_context ioc_;
  tcp_acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace almagate::test
