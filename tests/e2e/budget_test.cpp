// The daily budget end to end on the memory store: quotas, tiers, headers, refunds,
// reconciliation with Alma's own count.

#include <doctest/doctest.h>

#include "tests/e2e/budget_fixture.hpp"
#include "tests/support/wait.hpp"

using namespace almagate::test;

namespace {
const budget_client core{"patron-requests", "core"};
const budget_client standard{"caiasoft-sync", "standard", 3};
const budget_client batch{"reports-nightly", "batch"};
}  // namespace

TEST_CASE("a client's quota: calls pass until it is spent, then 429 DAILY_THRESHOLD") {
  budget_fixture f({.clients = {core, standard, batch}});
  for (int i = 0; i < 3; ++i) {
    auto r = f.call(standard);
    CHECK(r.status == 200);
    CHECK(r.header("RateLimit-Policy") == "\"daily\";q=3;w=86400");
    CHECK(r.header("X-Exl-Api-Remaining") == std::to_string(2 - i));
    CHECK(r.header("RateLimit").rfind("\"daily\";r=" + std::to_string(2 - i) + ";t=", 0) == 0);
  }
  // A loop's first refusal comes from the store; its next, within a second, from its memory
  // of it (no store call, no forward): the same answer. Three calls on two loops: at least
  // one is answered from memory.
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    auto refused = f.call(standard);
    CHECK(refused.status == 429);
    CHECK(error_code_of(refused) == "DAILY_THRESHOLD");
    CHECK(error_message_of(refused).find("quota") != std::string::npos);
    long retry_after = std::stol(refused.header("Retry-After"));
    CHECK(retry_after >= 1);
    CHECK(retry_after <= 25 * 3600);
    CHECK(refused.header("X-Exl-Api-Remaining") == "0");
    CHECK(refused.header("RateLimit-Policy") == "\"daily\";q=3;w=86400");
  }
  CHECK(f.sim_accepted() == 3);  // the refused calls never reached Alma
  // Another client is not affected.
  CHECK(f.call(core).status == 200);
}

TEST_CASE("tier reserves: batch stops first, then standard, core spends the pool to zero") {
  const budget_client labels{"spine-labels", "standard"};
  budget_fixture f({.daily_limit = 20, .reserve_standard = 5, .reserve_batch = 10,
                    .clients = {core, labels, batch}});
  int batch_ok = 0, standard_ok = 0, core_ok = 0;
  for (int i = 0; i < 15; ++i) batch_ok += f.call(batch).status == 200;
  CHECK(batch_ok == 10);  // stops with 10 left: its reserve
  auto batch_refused = f.call(batch);
  CHECK(batch_refused.status == 429);
  CHECK(error_message_of(batch_refused).find("reserve") != std::string::npos);
  for (int i = 0; i < 10; ++i) standard_ok += f.call(labels).status == 200;
  CHECK(standard_ok == 5);  // stops with 5 left
  for (int i = 0; i < 10; ++i) core_ok += f.call(core).status == 200;
  CHECK(core_ok == 5);  // spends the rest
  auto spent = f.call(core);
  CHECK(spent.status == 429);
  CHECK(error_message_of(spent).find("spent") != std::string::npos);
  CHECK(f.sim_accepted() == 20);
}

TEST_CASE("calls that never reached Alma are refunded") {
  budget_fixture f({.clients = {core, standard, batch}});
  f.sim.process().terminate();
  // Five calls against a quota of three: every one fails to connect and is given back.
  for (int i = 0; i < 5; ++i) {
    auto r = f.call(standard);
    CHECK(r.status == 502);
    CHECK(error_code_of(r) == "GENERAL_ERROR");
  }
}

TEST_CASE("Alma's X-Exl-Api-Remaining raises the pool's count; it never goes down") {
  budget_fixture f({.daily_limit = 100, .reserve_standard = 0, .reserve_batch = 0,
                    .clients = {core, standard, batch}, .sim_daily_limit = 100});
  // Traffic that never passed through almagate: 60 calls straight to Alma.
  for (int i = 0; i < 60; ++i) {
    auto direct = f.sim.client().get(f.sim.base_url() + "/almaws/v1/bibs/1",
                                     {{"Authorization", "apikey " + shared_key}});
    REQUIRE(direct.status == 200);
  }
  auto first = f.call(core);
  CHECK(first.status == 200);
  CHECK(first.header("X-Exl-Api-Remaining") == "99");  // before Alma's count was seen
  // Alma said 39 left; the pool's count becomes at least 61, so core sees at most 38.
  response last;
  CHECK(wait_for(
      [&] {
        last = f.call(core);
        return last.status == 200 && std::stol(last.header("X-Exl-Api-Remaining")) <= 38;
      },
      std::chrono::seconds(5)));
  CHECK(std::stol(last.header("X-Exl-Api-Remaining")) >= 30);
}

TEST_CASE("an upstream DAILY_THRESHOLD marks the pool spent until its reset") {
  budget_fixture f({.daily_limit = 100, .clients = {core, standard, batch},
                    .sim_daily_limit = 2});
  CHECK(f.call(core).status == 200);
  CHECK(f.call(core).status == 200);
  auto alma_refusal = f.call(core);
  CHECK(alma_refusal.status == 429);
  CHECK(error_code_of(alma_refusal) == "DAILY_THRESHOLD");
  // The gateway itself now refuses: nothing more reaches Alma.
  CHECK(wait_for(
      [&] {
        auto before = f.sim_received();
        auto r = f.call(core);
        return r.status == 429 && f.sim_received() == before;
      },
      std::chrono::seconds(5)));
  auto before = f.sim_received();
  for (int i = 0; i < 5; ++i) CHECK(f.call(core).status == 429);
  CHECK(f.sim_received() == before);
}

TEST_CASE("alerts: crossing a share of the pool's day is logged once per threshold") {
  budget_fixture f({.daily_limit = 20, .reserve_standard = 0, .reserve_batch = 0,
                    .clients = {core, standard, batch}, .extra_config = "alerts: [0.25, 0.5]\n"});
  for (int i = 0; i < 12; ++i) CHECK(f.call(core).status == 200);
  auto log = [&] { return f.gateways[0]->process().stderr_text(); };
  CHECK(wait_for([&] { return log().find("has used 50% of its day") != std::string::npos; },
                 std::chrono::seconds(5)));
  std::string text = log();
  auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
    return n;
  };
  CHECK(count("has used 25% of its day") == 1);
  CHECK(count("has used 50% of its day") == 1);
  CHECK(count("alert:") == 2);
}

TEST_CASE("a refused call that waits for 100 Continue gets its refusal at once") {
  const budget_client spent{"no-calls-left", "standard", 0};
  budget_fixture f({.clients = {core, spent}});
  std::string raw = "PUT /almaws/v1/bibs/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: apikey " +
                    spent.token() +
                    "\r\nContent-Type: application/xml\r\nContent-Length: 6\r\n"
                    "Expect: 100-continue\r\n\r\n";
  // The body is never sent: the answer must not wait for it.
  auto answer = raw_request("127.0.0.1", f.gateways[0]->port(), raw, std::chrono::seconds(5));
  CHECK(answer.rfind("HTTP/1.1 429", 0) == 0);
  CHECK(answer.find("DAILY_THRESHOLD") != std::string::npos);
  CHECK(answer.find("100 Continue") == std::string::npos);
  CHECK(f.sim.requests().empty());
}
