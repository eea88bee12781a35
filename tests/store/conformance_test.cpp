// The same cases against every store: memory and Redis.

#include <thread>

#include "tests/store/store_fixture.hpp"

using namespace almagate;
using namespace almagate::test;
using namespace std::chrono;

#define STORES memory_backend, redis_backend

TEST_CASE_TEMPLATE("a client's quota is charged and then refused", B, STORES) {
  store_case<B> t;
  for (int i = 1; i <= 3; ++i) {
    const auto r = t.charge("alice", tier::core, 3);
    CHECK(r.result == outcome::charged);
    CHECK(r.granted == 1);
    CHECK(r.counts.client_used == i);
    CHECK(r.counts.pool_used == i);
    CHECK(r.remaining_for_client == 3 - i);
    CHECK(r.retry_after == seconds{0});
  }
  const auto refused = t.charge("alice", tier::core, 3);
  CHECK(refused.result == outcome::quota_spent);
  CHECK(refused.granted == 0);
  CHECK(refused.counts.pool_used == 3);  // refused calls are not charged
  CHECK(refused.retry_after == hours{14});  // 10:00 EST to midnight
  // Another client of the pool is not held back by alice's quota.
  CHECK(t.charge("bob", tier::core, 3).result == outcome::charged);
}

TEST_CASE_TEMPLATE("core spends the pool to zero", B, STORES) {
  store_case<B> t;
  CHECK(t.charge_all("core-app", tier::core) == 10);
  const auto r = t.charge("core-app", tier::core);
  CHECK(r.result == outcome::pool_spent);
  CHECK(r.counts.pool_used == 10);
  CHECK(r.remaining_for_client == 0);
}

TEST_CASE_TEMPLATE("standard and batch stop at their tier's reserve", B, STORES) {
  store_case<B> t;
  CHECK(t.charge_all("batch-job", tier::batch) == 4);  // 6 left = batch reserve
  CHECK(t.charge("batch-job", tier::batch).result == outcome::reserve_reached);
  CHECK(t.charge_all("web", tier::standard) == 3);     // 3 left = standard reserve
  CHECK(t.charge("web", tier::standard).result == outcome::reserve_reached);
  CHECK(t.charge("batch-job", tier::batch).result == outcome::reserve_reached);
  CHECK(t.charge_all("desk", tier::core) == 3);
  CHECK(t.charge("web", tier::standard).result == outcome::pool_spent);
  CHECK(t.counts("web").pool_used == 10);
  CHECK(t.counts("web").client_used == 3);
  CHECK(t.counts("batch-job").client_used == 4);
}

TEST_CASE_TEMPLATE("remaining for the client is the smaller of quota and pool above reserve",
                   B, STORES) {
  store_case<B> t;
  CHECK(t.charge("web", tier::standard, 5).remaining_for_client == 4);  // quota
  CHECK(t.charge_all("desk", tier::core) == 9);
  CHECK(t.counts("web").pool_used == 10);
  t.refund("desk", 4);  // 4 left, standard keeps 3: 1 above the reserve
  CHECK(t.charge("web", tier::standard, 5).remaining_for_client == 0);
}

TEST_CASE_TEMPLATE("counts start from zero at the zone's reset", B, STORES) {
  store_case<B> t;
  t.now = utc(2030, 11, 29, 4, 59, 59);  // 23:59:59 EST on 11-28
  CHECK(t.charge_all("desk", tier::core, 4) == 4);
  const auto refused = t.charge("desk", tier::core, 4);
  CHECK(refused.result == outcome::quota_spent);
  CHECK(refused.retry_after == seconds{1});
  t.now = utc(2030, 11, 29, 5);  // midnight EST
  const auto r = t.charge("desk", tier::core, 4);
  CHECK(r.result == outcome::charged);
  CHECK(r.counts.client_used == 1);
  CHECK(r.counts.pool_used == 1);
}

TEST_CASE_TEMPLATE("daylight-saving days: 23 and 25 hours, reset at local midnight", B, STORES) {
  store_case<B> t;
  // 2030-03-10 is 23 hours long: 23:59:59 EDT is still that day.
  t.now = utc(2030, 3, 10, 5, 30);  // 00:30 EST
  CHECK(t.charge_all("desk", tier::core) == 10);
  t.now = utc(2030, 3, 11, 3, 59, 59);
  const auto late = t.charge("desk", tier::core);
  CHECK(late.result == outcome::pool_spent);
  CHECK(late.retry_after == seconds{1});
  t.now = utc(2030, 3, 11, 4);
  CHECK(t.charge("desk", tier::core).result == outcome::charged);

  // 2030-11-03 is 25 hours long: 23:30 EST is still that day.
  t.now = utc(2030, 11, 3, 4);  // 00:00 EDT
  CHECK(t.charge_all("desk", tier::core) == 10);
  t.now = utc(2030, 11, 4, 4, 30);
  CHECK(t.charge("desk", tier::core).result == outcome::pool_spent);
  t.now = utc(2030, 11, 4, 5);
  CHECK(t.charge("desk", tier::core).counts.pool_used == 1);
}

TEST_CASE_TEMPLATE("refunds give calls back to quota and pool, never below zero", B, STORES) {
  store_case<B> t;
  CHECK(t.charge_all("desk", tier::core, 3) == 3);
  const auto after = t.refund("desk", 2);
  CHECK(after.pool_used == 1);
  CHECK(after.client_used == 1);
  CHECK(t.charge_all("desk", tier::core, 3) == 2);
  const auto floored = t.refund("desk", 50);
  CHECK(floored.pool_used == 0);
  CHECK(floored.client_used == 0);
  CHECK(t.refund("nobody", 1).client_used == 0);
}

TEST_CASE_TEMPLATE("reconciliation with Alma's remaining never lowers the used count", B,
                   STORES) {
  store_case<B> t;
  t.charge("desk");
  t.charge("desk");
  const auto key = key_at(t.p, t.now);
  // Alma says 4 left of 10: 6 used, 4 of them outside almagate.
  auto r = run(t.ioc, t.store->reconcile_remaining(key, 10, 4));
  REQUIRE(r);
  REQUIRE(r->has_value());
  CHECK((*r)->pool_used == 6);
  r = run(t.ioc, t.store->reconcile_remaining(key, 10, 9));  // stale: ignored
  REQUIRE(r);
  REQUIRE(r->has_value());
  CHECK((*r)->pool_used == 6);
  CHECK(t.counts("desk").pool_used == 6);
  CHECK(t.counts("desk").client_used == 2);
  CHECK(t.charge_all("desk", tier::core) == 4);
}

TEST_CASE_TEMPLATE("an upstream 429 marks the pool spent until its reset", B, STORES) {
  store_case<B> t;
  t.charge("desk");
  auto r = run(t.ioc, t.store->mark_pool_spent(key_at(t.p, t.now)));
  REQUIRE(r);
  CHECK(r->has_value());
  const auto refused = t.charge("desk");
  CHECK(refused.result == outcome::pool_spent);
  CHECK(refused.counts.pool_marked_spent);
  CHECK(refused.remaining_for_client == 0);
  CHECK(t.counts("desk").pool_marked_spent);
  t.now = utc(2030, 11, 29, 5);
  CHECK(t.charge("desk").result == outcome::charged);
  CHECK_FALSE(t.counts("desk").pool_marked_spent);
}

TEST_CASE_TEMPLATE("usage lines are summed per day, client, environment, area, access, status",
                   B, STORES) {
  store_case<B> t;
  t.store->record_usage({"2026-11-28", "desk", "production", area::bibs, access::read, 2, 1});
  t.store->record_usage({"2026-11-28", "desk", "production", area::bibs, access::read, 2, 2});
  t.store->record_usage({"2026-11-28", "desk", "production", area::users, access::read_write, 4, 1});
  t.store->record_usage({"2026-11-28", "web", "sandbox", area::task_lists, access::read, 5, 1});
  t.store->record_usage({"2026-11-29", "desk", "production", area::bibs, access::read, 2, 7});
  auto r = run(t.ioc, t.store->read_usage("2026-11-28"));
  REQUIRE(r);
  REQUIRE(r->has_value());
  auto lines = **r;
  std::sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) {
    return std::tie(a.client, a.area_) < std::tie(b.client, b.area_);
  });
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].client == "desk");
  CHECK(lines[0].environment == "production");
  CHECK(lines[0].area_ == area::bibs);
  CHECK(lines[0].access_ == access::read);
  CHECK(lines[0].status_class == 2);
  CHECK(lines[0].calls == 3);
  CHECK(lines[1].area_ == area::users);
  CHECK(lines[1].access_ == access::read_write);
  CHECK(lines[1].status_class == 4);
  CHECK(lines[2].client == "web");
  CHECK(lines[2].area_ == area::task_lists);
  CHECK(lines[2].status_class == 5);
  auto empty = run(t.ioc, t.store->read_usage("2026-01-01"));
  REQUIRE(empty);
  REQUIRE(empty->has_value());
  CHECK((*empty)->empty());
}

TEST_CASE_TEMPLATE("leases grant a block in min..max and never pass a limit", B, STORES) {
  store_case<B> t;
  // Standard may use 7 of 10: a block of up to 5, then what is left of the 7.
  auto r = t.charge("web", tier::standard, std::nullopt, 1, 5);
  CHECK(r.result == outcome::charged);
  CHECK(r.granted == 5);
  r = t.charge("web", tier::standard, std::nullopt, 1, 5);
  CHECK(r.granted == 2);
  CHECK(r.counts.pool_used == 7);
  r = t.charge("web", tier::standard, std::nullopt, 1, 5);
  CHECK(r.result == outcome::reserve_reached);
  CHECK(r.granted == 0);
  // All or nothing: 3 left, a block of exactly 4 is refused and nothing is counted.
  r = t.charge("desk", tier::core, std::nullopt, 4, 4);
  CHECK(r.result == outcome::pool_spent);
  CHECK(r.counts.pool_used == 7);
  // A block is bounded by the client's quota too.
  r = t.charge("desk", tier::core, 2, 1, 5);
  CHECK(r.granted == 2);
  CHECK(r.counts.client_used == 2);
  // The unused part of a lease goes back.
  CHECK(t.refund("desk", 1).pool_used == 8);
}

namespace {

struct spender_totals {
  std::atomic<std::int64_t> granted{0};
  std::atomic<int> errors{0};
};

// Asks for blocks of 1..3 until refused. Parameters by value: the frame outlives the caller.
awaitable<void> spend(budget_store* store, charge_request request, spender_totals* totals,
                      int* running, std::function<void()> on_last) {
  for (;;) {
    auto r = co_await store->charge(request);
    if (!r) {
      ++totals->errors;
      break;
    }
    if (r->result != outcome::charged) break;
    totals->granted += r->granted;
  }
  if (--*running == 0) on_last();
}

}  // namespace

TEST_CASE_TEMPLATE("concurrent charges from several event loops never pass the limit", B,
                   STORES) {
  B backend;
  pool p = small_pool();
  p.daily_limit = 300;
  const auto now = utc(2030, 11, 28, 15);
  constexpr int loops = 4, per_loop = 25;
  spender_totals totals;
  std::vector<std::thread> threads;
  for (int l = 0; l < loops; ++l) {
    threads.emplace_back([&, l] {
      net::io_context ioc;
      auto store = backend.factory(ioc.get_executor());
      int running = per_loop;
      // When the last spender ends, drop the store so the loop runs out of work.
      auto on_last = [&] { net::post(ioc, [&] { store.reset(); }); };
      for (int c = 0; c < per_loop; ++c) {
        auto request = request_for(p, "client-" + std::to_string((l + c) % 5), tier::core,
                                   std::nullopt, now, 1, 3);
        net::co_spawn(ioc, spend(store.get(), std::move(request), &totals, &running, on_last),
                      net::detached);
      }
      ioc.run_for(seconds{20});
    });
  }
  for (auto& th : threads) th.join();
  CHECK(totals.errors == 0);
  CHECK(totals.granted == 300);
  net::io_context ioc;
  auto store = backend.factory(ioc.get_executor());
  auto r = run(ioc, store->read_counts(key_at(p, now), "client-0"));
  REQUIRE(r);
  REQUIRE(r->has_value());
  CHECK((*r)->pool_used == 300);
}
