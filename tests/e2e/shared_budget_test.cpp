// Three gateways share one Redis: the simulator receives exactly what the budgets allow,
// and the counts survive restarting every gateway.

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "tests/e2e/budget_fixture.hpp"
#include "tests/support/wait.hpp"

using namespace almagate::test;

namespace {

struct tally {
  std::mutex mutex;
  std::map<std::string, std::map<int, int>> by_client;  // client -> status -> calls
  std::map<std::string, int> unexpected;                  // error codes other than DAILY_THRESHOLD
  int ok(const std::string& client) { return by_client[client][200]; }
};

// `threads` threads per client, each making `calls` calls round-robin over the gateways.
void flood(budget_fixture& f, const std::vector<budget_client>& clients, int threads, int calls,
           tally& out) {
  std::vector<std::thread> workers;
  for (const auto& who : clients) {
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, who, t] {
        http_client c(client_options{.ca_file = f.sim.tls().ca_cert, .keep_alive = true});
        for (int i = 0; i < calls; ++i) {
          auto gw = static_cast<std::size_t>((t + i) % static_cast<int>(f.gateways.size()));
          auto r = c.get(f.url("/almaws/v1/bibs/1?format=json", gw),
                         {{"Authorization", "apikey " + who.token()}});
          std::lock_guard lock(out.mutex);
          out.by_client[who.id][r.status]++;
          if (r.status != 200 && (r.status != 429 || error_code_of(r) != "DAILY_THRESHOLD"))
            out.unexpected[std::to_string(r.status)]++;
        }
      });
    }
  }
  for (auto& w : workers) w.join();
}

}  // namespace

TEST_CASE("three gateways on one Redis: exactly the budget reaches Alma, core gets the rest") {
  const budget_client core{"patron-requests", "core"};
  const budget_client caiasoft{"caiasoft-sync", "standard", 25};
  const budget_client labels{"spine-labels", "standard"};
  const budget_client reports{"reports-nightly", "batch", 1000};
  budget_fixture f({.daily_limit = 120, .reserve_standard = 20, .reserve_batch = 60,
                    .clients = {core, caiasoft, labels, reports}, .store = "redis",
                    .gateways = 3});

  // Standard and batch scripts flood all three gateways at once.
  tally t;
  flood(f, {caiasoft, labels, reports}, 3, 40, t);
  CHECK(t.unexpected.empty());
  // Standard stops at 20 left: 100 calls in all reached Alma, not one more.
  CHECK(f.sim_accepted() == 100);
  CHECK(t.ok("caiasoft-sync") + t.ok("spine-labels") + t.ok("reports-nightly") == 100);
  CHECK(t.ok("caiasoft-sync") <= 25);
  CHECK(t.ok("reports-nightly") <= 60);  // batch stopped at its reserve
  CHECK(t.by_client["caiasoft-sync"][429] + t.by_client["spine-labels"][429] +
            t.by_client["reports-nightly"][429] ==
        360 - 100);

  // The core workflow still gets through, and spends the pool to zero.
  tally core_tally;
  flood(f, {core}, 3, 10, core_tally);
  CHECK(core_tally.ok("patron-requests") == 20);
  CHECK(f.sim_accepted() == 120);

  // Restarting every gateway loses nothing: the day is still spent.
  for (auto& gw : f.gateways) gw->restart();
  for (std::size_t g = 0; g < f.gateways.size(); ++g) {
    auto r = f.call(core, g);
    CHECK(r.status == 429);
    CHECK(error_code_of(r) == "DAILY_THRESHOLD");
  }
  CHECK(f.sim_accepted() == 120);
}

TEST_CASE("leases: far from the limits calls are charged in blocks; idle blocks go back") {
  const budget_client core{"patron-requests", "core"};
  const std::string admin = "agt_admin-token-EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE";
  budget_fixture f({.daily_limit = 1000000, .clients = {core}, .store = "redis",
                    .admin_token = admin});
  http_client c(client_options{.ca_file = f.sim.tls().ca_cert, .keep_alive = true});
  for (int i = 0; i < 100; ++i)
    REQUIRE(c.get(f.url("/almaws/v1/bibs/1"), {{"Authorization", "apikey " + core.token()}})
                .status == 200);
  auto pool_used = [&] {
    auto r = f.client.get(f.gateways[0]->admin_url() + "/v1/usage?format=json",
                          {{"Authorization", "Bearer " + admin}});
    return r.json().at("pools").at(0).at("used").to_number<std::int64_t>();
  };
  // The store holds the calls made and the block still open: at least one call ahead.
  CHECK(pool_used() > 100);
  CHECK(f.sim_accepted() == 100);
  // Two idle seconds later the unspent part of the block is given back.
  CHECK(wait_for([&] { return pool_used() == 100; }, std::chrono::seconds(10)));
}

TEST_CASE("leases: concurrent calls never leave a block behind; the store ends at the calls made") {
  // Many calls finding a lease empty at once used to each charge a block and keep only the
  // last: the others stayed counted in the store, never spent and never given back.
  const budget_client core{"patron-requests", "core"};
  const std::string admin = "agt_admin-token-EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE";
  budget_fixture f({.daily_limit = 1000000, .clients = {core}, .store = "redis",
                    .admin_token = admin});
  constexpr int callers = 16, calls_each = 40;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < callers; ++t)
    threads.emplace_back([&] {
      http_client c(client_options{.ca_file = f.sim.tls().ca_cert, .keep_alive = true});
      for (int i = 0; i < calls_each; ++i)
        if (c.get(f.url("/almaws/v1/bibs/1"), {{"Authorization", "apikey " + core.token()}})
                .status == 200)
          ++ok;
    });
  for (auto& t : threads) t.join();
  REQUIRE(ok.load() == callers * calls_each);
  CHECK(f.sim_accepted() == callers * calls_each);
  auto pool_used = [&] {
    auto r = f.client.get(f.gateways[0]->admin_url() + "/v1/usage?format=json",
                          {{"Authorization", "Bearer " + admin}});
    return r.json().at("pools").at(0).at("used").to_number<std::int64_t>();
  };
  std::int64_t last = -1;
  bool exact = wait_for([&] { return (last = pool_used()) == callers * calls_each; },
                        std::chrono::seconds(10));
  CAPTURE(last);
  CHECK(exact);
}
