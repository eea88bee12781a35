#include "policy/pacing.hpp"

#include <algorithm>
#include <cmath>

namespace almagate {

namespace {

// Smallest k with k * d >= n, for n >= 0 and d > 0.
std::int64_t ceil_div(std::int64_t n, std::int64_t d) { return n / d + (n % d != 0 ? 1 : 0); }

}  // namespace

std::int64_t to_pace_us(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_pace_us(std::int64_t us) {
  return std::chrono::system_clock::time_point{
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::microseconds{us})};
}

std::int64_t slot_spacing_us(double per_second) {
  if (!(per_second > 0)) return 0;
  return std::max<std::int64_t>(static_cast<std::int64_t>(std::ceil(1e6 / per_second)), 1);
}

bool tier_may_take(tier t, std::int64_t k, std::int64_t first_k) {
  if (k - first_k < open_slots || t == tier::core) return true;
  const auto lane = k % lane_period;
  if (lane == 0) return false;  // core only
  if (lane == 2) return t == tier::standard;
  return true;
}

slot_plan plan_slot(const slot_query& q, std::span<const std::int64_t> taken) {
  const auto t = std::max<std::int64_t>(q.spacing_us, 1);
  const auto first_k = ceil_div(std::max<std::int64_t>(q.now_us, 0), t);
  auto k = first_k;
  if (q.client_spacing_us > 0 && q.client_next_us > 0)
    k = std::max(k, ceil_div(q.client_next_us, t));
  // Each taken slot blocks at most 2 grid points and every tier may take 2 of every
  // lane_period far slots, so a free one lies within this bound.
  const auto n = static_cast<std::int64_t>(taken.size());
  const auto limit = k + 4 * n + 2 * lane_period + open_slots + 2;
  std::size_t j = 0;
  for (; k < limit; ++k) {
    if (!tier_may_take(q.tier_, k, first_k)) continue;
    const auto s = k * t;
    while (j < taken.size() && taken[j] <= s - t) ++j;
    // Free only if no taken slot is closer than T: keeps the bound across rate changes.
    if (j < taken.size() && taken[j] < s + t) continue;
    break;
  }
  const auto slot = k * t;
  const auto wait = slot - q.now_us;
  slot_plan plan;
  if (k == limit || wait > q.max_wait_us) {
    plan.retry_after_us = std::max<std::int64_t>(wait - q.max_wait_us, 1000);
    return plan;
  }
  plan.granted = true;
  plan.slot_us = slot;
  plan.client_next_us = q.client_spacing_us > 0 ? slot + q.client_spacing_us : 0;
  return plan;
}

bool may_release(std::int64_t slot_us, std::int64_t now_us) { return slot_us > now_us; }

std::int64_t client_next_after_release(std::int64_t client_next_us, std::int64_t slot_us,
                                       std::int64_t client_spacing_us) {
  if (client_spacing_us > 0 && client_next_us == slot_us + client_spacing_us) return slot_us;
  return client_next_us;
}

pace_reply reply_for(const slot_plan& plan, std::int64_t now_us) {
  pace_reply reply;
  reply.granted = plan.granted;
  if (plan.granted) {
    reply.slot = from_pace_us(plan.slot_us);
    reply.wait = std::chrono::microseconds{plan.slot_us - now_us};
  } else {
    reply.retry_after = std::chrono::milliseconds{ceil_div(plan.retry_after_us, 1000)};
  }
  return reply;
}

}  // namespace almagate
