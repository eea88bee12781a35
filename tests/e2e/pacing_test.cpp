// Pacing end to end: calls wait for their slot so the simulator never refuses one for speed;
// calls that would wait too long are refused at once, uncharged; Alma's own per-second
// refusals are retried; a script that leaves while waiting is never forwarded.

#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <thread>

#include "tests/e2e/budget_fixture.hpp"
#include "tests/support/wait.hpp"

using namespace almagate::test;

namespace {
const budget_client core{"patron-requests", "core"};
const budget_client labels{"spine-labels", "standard", 100};
}  // namespace

TEST_CASE("pacing: a burst is spread to the cap; Alma never refuses a call for speed") {
  const std::string admin = "agt_admin-token-PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP";
  budget_fixture f({.daily_limit = 1000, .clients = {core, labels}, .admin_token = admin,
                    .per_second = 5, .max_wait = "1500ms", .sim_per_second = 5});
  std::mutex mutex;
  std::map<int, int> statuses;
  std::vector<std::string> refusal_codes;
  std::vector<std::thread> callers;
  for (int t = 0; t < 12; ++t) {
    callers.emplace_back([&] {
      http_client c(client_options{.ca_file = f.sim.tls().ca_cert});
      auto r = c.get(f.url("/almaws/v1/bibs/1?format=json"),
                     {{"Authorization", "apikey " + core.token()}});
      std::lock_guard lock(mutex);
      statuses[r.status]++;
      if (r.status == 429) {
        refusal_codes.push_back(error_code_of(r));
        CHECK(std::stoi(r.header("Retry-After")) >= 1);
      }
    });
  }
  for (auto& t : callers) t.join();
  auto stats = f.sim.stats();
  CHECK(stats.at("refused_per_second").to_number<int>() == 0);
  CHECK(stats.at("max_accepted_in_any_second").to_number<int>() <= 5);
  // Core may book up to max_wait ahead: 1.5 s of schedule at 5/s (97%) holds 7 to 9 calls;
  // the rest are refused at once.
  CHECK(statuses[200] >= 7);
  CHECK(statuses[200] <= 9);
  CHECK(statuses[200] + statuses[429] == 12);
  for (const auto& code : refusal_codes) CHECK(code == "PER_SECOND_THRESHOLD");
  // Refused for speed means uncharged: the pool counts only the forwarded calls once the
  // event loops' leases have given their unspent calls back (two idle seconds). Each loop's
  // own X-Exl-Api-Remaining counts the calls other loops hold in leases as used, so the
  // store's count is what is checked.
  std::int64_t used = -1;
  bool exact = wait_for(
      [&] {
        auto r = f.client.get(f.gateways[0]->admin_url() + "/v1/usage?format=json",
                              {{"Authorization", "Bearer " + admin}});
        used = r.json().at("pools").at(0).at("used").to_number<std::int64_t>();
        return used == statuses[200];
      },
      std::chrono::seconds(10));
  CAPTURE(used);
  CHECK(exact);
  CHECK(f.sim_accepted() == statuses[200]);
}

TEST_CASE("pacing: batch books only a twentieth of max_wait ahead, so it cannot crowd out core") {
  const budget_client batch{"reports-nightly", "batch"};
  budget_fixture f({.daily_limit = 1000, .clients = {core, labels, batch}, .per_second = 5,
                    .max_wait = "10s"});
  // 0.5 s of schedule at 5/s: batch gets two or three slots, then is told to come back.
  std::mutex mutex;
  std::map<int, int> batch_statuses;
  std::vector<std::thread> flood;
  for (int t = 0; t < 10; ++t)
    flood.emplace_back([&] {
      http_client c(client_options{.ca_file = f.sim.tls().ca_cert});
      auto r = c.get(f.url("/almaws/v1/bibs/1"), {{"Authorization", "apikey " + batch.token()}});
      std::lock_guard lock(mutex);
      batch_statuses[r.status]++;
    });
  for (auto& t : flood) t.join();
  CHECK(batch_statuses[200] >= 2);
  CHECK(batch_statuses[200] <= 4);
  CHECK(batch_statuses[429] == 10 - batch_statuses[200]);
  // A core call right after still gets a slot (within a second at 5/s).
  CHECK(f.call(core).status == 200);
}

TEST_CASE("pacing: Alma's own PER_SECOND_THRESHOLD is retried within max_wait, charged once") {
  // The gateway paces at 20/s, but Alma (traffic outside the gateway) allows only 2/s.
  budget_fixture f({.daily_limit = 1000, .clients = {core, labels}, .per_second = 20,
                    .max_wait = "5s", .sim_per_second = 2});
  for (int i = 0; i < 4; ++i) {
    auto r = f.call(labels);
    CHECK(r.status == 200);
    CHECK(r.header("X-Exl-Api-Remaining") == std::to_string(100 - 1 - i));  // charged once each
  }
  auto stats = f.sim.stats();
  CHECK(stats.at("refused_per_second").to_number<int>() > 0);  // Alma refused, the gateway retried
  CHECK(stats.at("accepted").to_number<int>() == 4);
}

TEST_CASE("pacing: a script that leaves while waiting for its slot is never forwarded") {
  budget_fixture f({.daily_limit = 1000, .clients = {core, labels}, .per_second = 1,
                    .max_wait = "10s"});
  CHECK(f.call(labels).status == 200);  // takes the slot now; the next is a second away
  // A raw call that closes at once, while it waits for its slot.
  std::string raw = "GET /almaws/v1/bibs/2 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: apikey " +
                    labels.token() + "\r\n\r\n";
  raw_request("127.0.0.1", f.gateways[0]->port(), raw, std::chrono::milliseconds(50));
  CHECK(wait_for([&] {
    return f.gateways[0]->process().stdout_text().find("client_gone_while_waiting") !=
           std::string::npos;
  }, std::chrono::seconds(10)));
  CHECK(f.call(labels, 0, "/almaws/v1/bibs/3").status == 200);
  auto seen = f.sim.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].at("target").as_string() == "/almaws/v1/bibs/3");
}
