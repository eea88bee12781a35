// Redis stopped and started again under load, for each store_failure mode: no crash, the mode
// is honoured, and service comes back by itself.

#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "tests/e2e/budget_fixture.hpp"
#include "tests/support/wait.hpp"

using namespace almagate::test;

namespace {

const budget_client core{"patron-requests", "core"};

// Calls gateway 0 in a loop (bounded) and keeps the last status and every transport failure.
class steady_load {
 public:
  explicit steady_load(budget_fixture& f) : f_(f) {
    thread_ = std::thread([this] {
      http_client c(client_options{.ca_file = f_.sim.tls().ca_cert, .keep_alive = true});
      for (int i = 0; i < 20000 && !stop_; ++i) {
        auto r = c.get(f_.url("/almaws/v1/bibs/1?format=json"),
                       {{"Authorization", "apikey " + core.token()}});
        std::lock_guard lock(mutex_);
        last_ = r.status;
        ++calls_;
        if (r.status == 0) ++transport_failures_;
        if (r.status == 503) ++refused_503_;
        if (r.status == 200) ++ok_;
      }
    });
  }
  ~steady_load() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int ok() {
    std::lock_guard lock(mutex_);
    return ok_;
  }
  int refused_503() {
    std::lock_guard lock(mutex_);
    return refused_503_;
  }
  int transport_failures() {
    std::lock_guard lock(mutex_);
    return transport_failures_;
  }

 private:
  budget_fixture& f_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  int last_ = 0, calls_ = 0, ok_ = 0, refused_503_ = 0, transport_failures_ = 0;
};

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

void outage(const std::string& mode) {
  budget_fixture f({.daily_limit = 100000, .reserve_standard = 0, .reserve_batch = 0,
                    .clients = {core}, .store = "redis", .store_failure = mode, .gateways = 2});
  steady_load load(f);
  REQUIRE(wait_for([&] { return load.ok() >= 20; }, std::chrono::seconds(10)));

  f.redis->stop();
  if (mode == "closed") {
    // Refused with 503, never forwarded uncounted.
    CHECK(wait_for([&] { return load.refused_503() >= 5; }, std::chrono::seconds(10)));
    auto r = f.call(core);
    CHECK(r.status == 503);
    CHECK(error_code_of(r) == "GENERAL_ERROR");
  } else {
    // open forwards uncounted; share counts locally within this instance's share. Calls of a
    // block leased before the outage (counted) go first; leases grow under load, so the
    // gateway may take a moment to find the store gone: wait until it has said so.
    int before = load.ok();
    CHECK(wait_for(
        [&] {
          return load.ok() >= before + 50 &&
                 f.gateways[0]->process().stderr_text().find("budget store outage begins") !=
                     std::string::npos;
        },
        std::chrono::seconds(10)));
    CHECK(f.call(core, 1).status == 200);
    CHECK(load.refused_503() == 0);
  }

  f.redis->start();
  // Back by itself: the gateway under load sees the store answer again and says so once.
  CHECK(wait_for(
      [&] {
        return f.gateways[0]->process().stderr_text().find("budget store outage over") !=
               std::string::npos;
      },
      std::chrono::seconds(15)));
  int after_restart = load.ok();
  CHECK(wait_for([&] { return f.call(core).status == 200 && load.ok() > after_restart + 20; },
                 std::chrono::seconds(15)));
  load.stop();
  CHECK(load.transport_failures() == 0);

  for (auto& gw : f.gateways) {
    CHECK(gw->process().running());  // no crash
    CHECK(gw->stop() == 0);
  }
  // The outage is logged once, when it begins and when it ends, not once per call.
  std::string log = f.gateways[0]->process().stderr_text();
  CAPTURE(log);
  CHECK(count_of(log, "budget store outage begins") == 1);
  CHECK(count_of(log, "store_failure=" + mode) == 1);
  CHECK(count_of(log, "budget store outage over") == 1);
}

}  // namespace

TEST_CASE("Redis outage with store_failure: closed refuses with 503, then recovers") {
  outage("closed");
}

TEST_CASE("Redis outage with store_failure: open forwards uncounted, then recovers") {
  outage("open");
}

TEST_CASE("Redis outage with store_failure: share counts locally, then recovers") {
  outage("share");
}

TEST_CASE("a lease renewal that finds Redis gone says so at once; leased calls go on first") {
  budget_fixture f({.daily_limit = 100000, .reserve_standard = 0, .reserve_batch = 0,
                    .clients = {core}, .store = "redis", .store_failure = "closed"});
  // One connection: one event loop, so the calls spend one lease. The first call is charged
  // alone (its reply tells how far the limits are); the second takes a block of 64.
  http_client c(client_options{.ca_file = f.sim.tls().ca_cert, .keep_alive = true});
  auto call = [&] {
    return c.get(f.url("/almaws/v1/bibs/1?format=json"), {{"Authorization", "apikey " + core.token()}})
        .status;
  };
  REQUIRE(call() == 200);
  REQUIRE(call() == 200);
  f.redis->stop();
  auto log = [&] { return f.gateways[0]->process().stderr_text(); };
  // Past half the block the lease is renewed in the background; that renewal fails, and the
  // outage is logged while the block still has calls.
  int served = 0;
  bool said = false;
  for (int i = 0; i < 60 && !said; ++i) {
    if (call() != 200) break;
    ++served;
    said = log().find("budget store outage begins") != std::string::npos;
  }
  CAPTURE(log());
  CAPTURE(served);
  CHECK(said);
  CHECK(served > 0);
  CHECK(served < 63);
  CHECK(log().find("renewing a lease") != std::string::npos);
  // Once the leased calls are spent, store_failure: closed refuses; the outage is not logged
  // again.
  int status = 200;
  for (int i = 0; i < 200 && status == 200; ++i) status = call();
  CHECK(status == 503);
  CHECK(count_of(log(), "budget store outage begins") == 1);
}
