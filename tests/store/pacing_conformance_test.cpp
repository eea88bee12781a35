// Pacing on every store: the same slots, refusals and releases on memory and Redis, with an
// injected clock. Redis also under concurrent reservations from several connections.

#include <algorithm>
#include <mutex>
#include <thread>

#include "tests/store/store_fixture.hpp"

using namespace almagate;
using namespace almagate::test;
using namespace std::chrono;

#define STORES memory_backend, redis_backend

namespace {

// 2030-11-28 15:00 UTC: on the 40 ms grid of a 25/s pool.
const system_clock::time_point t0 = utc(2030, 11, 28, 15);

pace_request pace_for(std::string client, tier t, system_clock::time_point now,
                      double client_rate = 0, milliseconds max_wait = seconds{10}) {
  return {"main", 25, std::move(client), client_rate, t, max_wait, now};
}

pace_reply reserve(net::io_context& ioc, budget_store& store, const pace_request& r) {
  auto reply = run(ioc, store.reserve_slot(r));
  REQUIRE(reply.has_value());
  REQUIRE_MESSAGE(reply->has_value(), reply->error().message());
  return **reply;
}

bool release(net::io_context& ioc, budget_store& store, const pace_request& r,
             system_clock::time_point slot) {
  auto reply = run(ioc, store.release_slot(r, slot));
  REQUIRE(reply.has_value());
  REQUIRE_MESSAGE(reply->has_value(), reply->error().message());
  return **reply;
}

// The most slots in any window [a, a + 1 s).
std::size_t max_in_window(std::vector<system_clock::time_point> slots) {
  std::sort(slots.begin(), slots.end());
  std::size_t best = 0;
  for (std::size_t i = 0, j = 0; i < slots.size(); ++i) {
    while (slots[i] - slots[j] >= seconds{1}) ++j;
    best = std::max(best, i - j + 1);
  }
  return best;
}

}  // namespace

TEST_CASE_TEMPLATE("pacing: calls at once get slots 1/rate apart", B, STORES) {
  store_case<B> t;
  std::vector<system_clock::time_point> slots;
  for (int i = 0; i < 50; ++i) {
    const auto r = reserve(t.ioc, *t.store, pace_for("desk", tier::core, t0));
    REQUIRE(r.granted);
    CHECK(r.slot == t0 + milliseconds{40 * i});
    CHECK(r.wait == milliseconds{40 * i});
    CHECK_FALSE(r.paced_locally);
    slots.push_back(r.slot);
  }
  CHECK(max_in_window(slots) == 25);
  // Between grid points: the next free slot after the 50 taken.
  const auto later = reserve(t.ioc, *t.store, pace_for("desk", tier::core, t0 + milliseconds{5}));
  CHECK(later.slot == t0 + seconds{2});
  CHECK(later.wait == milliseconds{1995});
}

TEST_CASE_TEMPLATE("pacing: a call beyond max_wait is refused at once and takes no slot", B,
                   STORES) {
  store_case<B> t;
  const auto short_wait = pace_for("desk", tier::core, t0, 0, milliseconds{200});
  int granted = 0;
  while (granted < 100 && reserve(t.ioc, *t.store, short_wait).granted) ++granted;
  CHECK(granted == 6);  // 0, 40, ..., 200 ms
  for (int i = 0; i < 3; ++i) {
    const auto refused = reserve(t.ioc, *t.store, short_wait);
    CHECK_FALSE(refused.granted);
    CHECK(refused.retry_after == milliseconds{40});
  }
  // The refusals kept nothing: the next slot is still 240 ms.
  const auto next = reserve(t.ioc, *t.store, pace_for("desk", tier::core, t0));
  CHECK(next.slot == t0 + milliseconds{240});
}

TEST_CASE_TEMPLATE("pacing: core waits little behind a batch flood", B, STORES) {
  store_case<B> t;
  auto now = t0;
  int batch_granted = 0;
  // Batch fills the schedule up to max_wait (2 s here) ahead.
  for (int i = 0; i < 200; ++i) {
    now += milliseconds{5};
    if (reserve(t.ioc, *t.store, pace_for("job", tier::batch, now, 0, seconds{2})).granted)
      ++batch_granted;
  }
  CHECK(batch_granted > 40);
  const auto batch = reserve(t.ioc, *t.store, pace_for("job", tier::batch, now, 0, seconds{2}));
  CHECK_FALSE(batch.granted);
  for (int i = 0; i < 5; ++i) {
    const auto core = reserve(t.ioc, *t.store, pace_for("desk", tier::core, now, 0, seconds{2}));
    REQUIRE(core.granted);
    CHECK(core.wait < milliseconds{320});
    now += milliseconds{200};
  }
  const auto standard = reserve(t.ioc, *t.store, pace_for("web", tier::standard, now));
  REQUIRE(standard.granted);
  CHECK(standard.wait < milliseconds{320});
}

TEST_CASE_TEMPLATE("pacing: a client's per-second cap spaces its calls", B, STORES) {
  store_case<B> t;
  const auto a = reserve(t.ioc, *t.store, pace_for("slow", tier::core, t0, 2));
  const auto b = reserve(t.ioc, *t.store, pace_for("slow", tier::core, t0, 2));
  const auto other = reserve(t.ioc, *t.store, pace_for("desk", tier::core, t0));
  CHECK(a.slot == t0);
  CHECK(b.slot == t0 + milliseconds{520});  // 500 ms later, on the 40 ms grid
  CHECK(other.slot == t0 + milliseconds{40});
  const auto refused =
      reserve(t.ioc, *t.store, pace_for("slow", tier::core, t0, 2, milliseconds{600}));
  CHECK_FALSE(refused.granted);
  CHECK(refused.retry_after == milliseconds{440});
  // A second later the client's schedule has moved on with the clock.
  const auto c = reserve(t.ioc, *t.store, pace_for("slow", tier::core, t0 + seconds{3}, 2));
  CHECK(c.slot == t0 + seconds{3});
}

TEST_CASE_TEMPLATE("pacing: a released slot goes to the next call", B, STORES) {
  store_case<B> t;
  const auto r = pace_for("slow", tier::core, t0, 5);
  const auto a = reserve(t.ioc, *t.store, r);
  const auto b = reserve(t.ioc, *t.store, r);
  REQUIRE(b.granted);
  CHECK(b.slot == t0 + milliseconds{200});
  auto later = r;
  later.now = t0 + milliseconds{10};
  CHECK_FALSE(release(t.ioc, *t.store, later, a.slot));  // its time has passed
  CHECK(release(t.ioc, *t.store, later, b.slot));
  CHECK_FALSE(release(t.ioc, *t.store, later, b.slot));  // already given back
  // The client's next slot moved back with it, so it takes the same slot again.
  const auto again = reserve(t.ioc, *t.store, later);
  CHECK(again.slot == b.slot);
}

TEST_CASE_TEMPLATE("pacing: an instance whose clock lags still keeps 1/rate from taken slots",
                   B, STORES) {
  store_case<B> t;
  const auto ahead = reserve(t.ioc, *t.store, pace_for("desk", tier::core, t0 + seconds{1}));
  CHECK(ahead.slot == t0 + seconds{1});
  // The fast clock moves on; its old slot stays known for pace_history.
  CHECK(reserve(t.ioc, *t.store, pace_for("desk", tier::core, t0 + seconds{3})).granted);
  // A second instance, 1 s behind, asks for the slot the first one already took.
  const auto behind = reserve(t.ioc, *t.store, pace_for("desk", tier::core, t0 + seconds{1}));
  CHECK(behind.slot == t0 + seconds{1} + milliseconds{40});
}

TEST_CASE_TEMPLATE("pacing: pools have schedules of their own", B, STORES) {
  store_case<B> t;
  auto other = pace_for("desk", tier::core, t0);
  other.pool = "sandbox";
  CHECK(reserve(t.ioc, *t.store, pace_for("desk", tier::core, t0)).slot == t0);
  CHECK(reserve(t.ioc, *t.store, other).slot == t0);
  CHECK(reserve(t.ioc, *t.store, pace_for("desk", tier::core, t0)).slot ==
        t0 + milliseconds{40});
}

TEST_CASE_TEMPLATE("pacing: concurrent reservations from several loops keep the window bound",
                   B, STORES) {
  B backend;
  constexpr int loops = 4, per_loop = 20, calls = 5;
  std::mutex mutex;
  std::vector<system_clock::time_point> slots;
  int refused = 0, errors = 0;
  std::vector<std::thread> threads;
  for (int l = 0; l < loops; ++l) {
    threads.emplace_back([&, l] {
      net::io_context ioc;
      auto store = backend.factory(ioc.get_executor());
      int running = per_loop;
      for (int c = 0; c < per_loop; ++c) {
        net::co_spawn(
            ioc,
            [&, c]() -> awaitable<void> {
              for (int i = 0; i < calls; ++i) {
                const auto now = t0 + milliseconds{13 * (c + i * per_loop)};
                const auto t = static_cast<tier>((l + c + i) % 3);
                auto r = co_await store->reserve_slot(
                    pace_for("client-" + std::to_string(c % 5), t, now, 0, seconds{2}));
                std::lock_guard lock(mutex);
                if (!r) ++errors;
                else if (r->granted) slots.push_back(r->slot);
                else ++refused;
              }
              // The last one drops the store so the loop runs out of work.
              if (--running == 0) store.reset();
            },
            net::detached);
      }
      ioc.run_for(seconds{20});
    });
  }
  for (auto& th : threads) th.join();
  CHECK(errors == 0);
  CHECK(static_cast<int>(slots.size()) + refused == loops * per_loop * calls);
  CHECK(refused > 0);
  CHECK(max_in_window(slots) == 25);
  std::sort(slots.begin(), slots.end());
  CHECK(std::adjacent_find(slots.begin(), slots.end(), [](auto x, auto y) {
          return y - x < milliseconds{40};
        }) == slots.end());
}
