#include "policy/pacing.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

using namespace almagate;

namespace {

constexpr std::int64_t second = 1'000'000;
constexpr std::int64_t t0 = 1'900'000'000LL * second;  // an instant on the slot grid

// One pool's schedule, kept the way a store keeps it.
struct schedule {
  double rate = 25;
  std::int64_t max_wait_us = 10 * second;
  std::vector<std::int64_t> taken;  // ascending
  std::map<std::string, std::int64_t> client_next;
  std::vector<std::int64_t> granted;  // every slot granted, for the window checks

  slot_plan reserve(std::int64_t now, tier t, const std::string& client = "c",
                    double client_rate = 0) {
    slot_query q;
    q.now_us = now;
    q.spacing_us = slot_spacing_us(rate);
    q.client_spacing_us = slot_spacing_us(client_rate);
    q.client_next_us = client_next[client];
    q.tier_ = t;
    q.max_wait_us = max_wait_us;
    const auto plan = plan_slot(q, taken);
    if (plan.granted) {
      taken.insert(std::upper_bound(taken.begin(), taken.end(), plan.slot_us), plan.slot_us);
      granted.push_back(plan.slot_us);
      if (q.client_spacing_us > 0) client_next[client] = plan.client_next_us;
    }
    return plan;
  }
};

// The most slots granted in any window [a, a + 1 s).
std::size_t max_in_window(std::vector<std::int64_t> slots) {
  std::sort(slots.begin(), slots.end());
  std::size_t best = 0;
  for (std::size_t i = 0, j = 0; i < slots.size(); ++i) {
    while (slots[i] - slots[j] >= second) ++j;
    best = std::max(best, i - j + 1);
  }
  return best;
}

}  // namespace

TEST_CASE("pacing: slot spacing is ceil(1 s / rate)") {
  CHECK(slot_spacing_us(25) == 40'000);
  CHECK(slot_spacing_us(3) == 333'334);
  CHECK(slot_spacing_us(0) == 0);
  CHECK(slot_spacing_us(2e7) == 1);
}

TEST_CASE("pacing: random arrivals at 3x the rate never pass the rate in any 1 s window") {
  for (const double rate : {25.0, 10.0, 7.0}) {
    schedule s;
    s.rate = rate;
    s.max_wait_us = 2 * second;
    std::mt19937_64 rng(42);
    std::exponential_distribution<double> gap(3 * rate);
    std::uniform_int_distribution<int> tier_of(0, 2);
    std::int64_t now = t0 + 123;
    int refused = 0;
    while (now < t0 + 20 * second) {
      now += static_cast<std::int64_t>(gap(rng) * second);
      const auto plan = s.reserve(now, static_cast<tier>(tier_of(rng)));
      if (!plan.granted) {
        ++refused;
        CHECK(plan.retry_after_us >= 1000);
      } else {
        CHECK(plan.slot_us >= now);
        CHECK(plan.slot_us - now <= s.max_wait_us);
      }
    }
    CAPTURE(rate);
    CHECK(refused > 0);
    CHECK(max_in_window(s.granted) == static_cast<std::size_t>(rate));
    // Utilisation: with demand above the rate, every slot from 1 s to 19 s is taken.
    const auto t = slot_spacing_us(rate);
    const auto full = std::count_if(s.granted.begin(), s.granted.end(), [&](auto x) {
      return x >= t0 + second && x < t0 + 19 * second;
    });
    CHECK(full == (18 * second + t - 1) / t);
  }
}

TEST_CASE("pacing: a core call waits little behind a batch flood that fills max_wait") {
  schedule s;
  std::int64_t now = t0;
  std::int64_t worst_core = 0;
  std::int64_t batch_horizon = 0;
  for (int step = 0; step < 2000; ++step) {
    now += 5'000;  // batch: 200 calls a second, 8x the rate
    const auto b = s.reserve(now, tier::batch, "batch");
    if (b.granted) batch_horizon = std::max(batch_horizon, b.slot_us - now);
    if (step % 20 == 0 && step > 400) {  // core: 2 a second once the schedule is full
      const auto c = s.reserve(now, tier::core, "desk");
      REQUIRE(c.granted);
      worst_core = std::max(worst_core, c.slot_us - now);
    }
  }
  CHECK(batch_horizon > 9 * second);  // batch keeps the schedule full almost to max_wait
  CHECK(worst_core < 320'000);        // (open_slots + lane_period) * T
  CHECK(max_in_window(s.granted) == 25);
  // Standard, too, gets ahead of batch: it may take 3 of every 4 far slots.
  const auto st = s.reserve(now, tier::standard, "web");
  REQUIRE(st.granted);
  CHECK(st.slot_us - now < 320'000);
}

TEST_CASE("pacing: a call refused for max_wait takes no slot") {
  schedule s;
  s.max_wait_us = 200'000;  // 5 slots at 25/s
  int granted = 0;
  while (s.reserve(t0, tier::core).granted) ++granted;
  CHECK(granted == 6);  // slots at 0, 40, ..., 200 ms
  const auto before = s.taken;
  const auto refused = s.reserve(t0, tier::core);
  CHECK_FALSE(refused.granted);
  CHECK(refused.retry_after_us == 40'000);
  CHECK(s.taken == before);
  // Once time moves on by retry_after, the call fits.
  CHECK(s.reserve(t0 + refused.retry_after_us, tier::core).granted);
}

TEST_CASE("pacing: a client's per-second cap spaces its own calls only") {
  schedule s;
  const auto a = s.reserve(t0, tier::core, "slow", 2);
  const auto b = s.reserve(t0, tier::core, "slow", 2);
  const auto c = s.reserve(t0, tier::core, "fast");
  REQUIRE(a.granted);
  REQUIRE(b.granted);
  REQUIRE(c.granted);
  CHECK(a.slot_us == t0);
  // 500 ms later, on the pool's 40 ms grid.
  CHECK(b.slot_us == t0 + 520'000);
  CHECK(c.slot_us == t0 + 40'000);
  s.max_wait_us = 600'000;
  const auto refused = s.reserve(t0, tier::core, "slow", 2);
  CHECK_FALSE(refused.granted);
  CHECK(refused.retry_after_us == 1'040'000 - 600'000);
}

TEST_CASE("pacing: a released slot is taken again; the client's next slot moves back") {
  schedule s;
  const auto a = s.reserve(t0, tier::core, "slow", 5);
  const auto b = s.reserve(t0, tier::core, "slow", 5);
  REQUIRE(b.granted);
  CHECK(b.slot_us == t0 + 200'000);
  CHECK(may_release(b.slot_us, t0 + 1));
  CHECK_FALSE(may_release(a.slot_us, t0));  // its time has come: the call may have gone
  s.taken.erase(std::find(s.taken.begin(), s.taken.end(), b.slot_us));
  s.client_next["slow"] = client_next_after_release(s.client_next["slow"], b.slot_us, 200'000);
  CHECK(s.client_next["slow"] == b.slot_us);
  CHECK(s.reserve(t0 + 1, tier::core, "slow", 5).slot_us == b.slot_us);
  // Not the client's last slot: its next slot stays.
  CHECK(client_next_after_release(t0 + 600'000, t0 + 200'000, 200'000) == t0 + 600'000);
}

TEST_CASE("pacing: far slots are held per tier, near ones are open to all") {
  CHECK(tier_may_take(tier::batch, 100, 100));
  CHECK(tier_may_take(tier::batch, 100 + open_slots - 1, 100));
  CHECK_FALSE(tier_may_take(tier::batch, 108, 100));
  CHECK_FALSE(tier_may_take(tier::standard, 108, 100));
  CHECK(tier_may_take(tier::core, 108, 100));
  CHECK(tier_may_take(tier::batch, 109, 100));
  CHECK_FALSE(tier_may_take(tier::batch, 110, 100));
  CHECK(tier_may_take(tier::standard, 110, 100));
}

TEST_CASE("pacing: a changed rate keeps new slots T apart from old ones") {
  schedule s;
  s.rate = 10;  // T = 100 ms
  for (int i = 0; i < 5; ++i) REQUIRE(s.reserve(t0, tier::core).granted);
  s.rate = 3;  // T = 333.334 ms: old slots at 0..400 ms
  const auto p = s.reserve(t0, tier::core);
  REQUIRE(p.granted);
  CHECK(p.slot_us - (t0 + 400'000) >= slot_spacing_us(3));
}

TEST_CASE("pacing: replies carry the slot, the wait and a retry_after in whole ms") {
  slot_plan granted{true, t0 + 40'000, 0, 0};
  const auto g = reply_for(granted, t0 + 1'000);
  CHECK(g.granted);
  CHECK(to_pace_us(g.slot) == t0 + 40'000);
  CHECK(g.wait == std::chrono::microseconds{39'000});
  slot_plan refused{false, 0, 1'001, 0};
  CHECK(reply_for(refused, t0).retry_after == std::chrono::milliseconds{2});
}
