#pragma once
// Pacing: every forwarded call takes a slot in its pool's per-second schedule, shared by all
// gateway instances (the store reserves it atomically; policy/lua/pace_reserve.lua mirrors
// plan_slot() below). Pure: the caller passes `now`.
//
// The scheme: slots on a grid. A pool of rate r has slots at the instants k * T (unix
// microseconds), T = ceil(1e6 / r). A slot holds at most one call, and a new slot is only
// granted if no taken slot lies closer than T to it, so granted slots are always at least T
// apart: any 1-second window [a, a + 1 s) holds at most ceil(r) calls (exactly r for an
// integer rate: m slots span (m - 1) * T < 1 s, so m - 1 < r). A call takes the EARLIEST free
// slot it may take at or after now (and after its client's next slot, if the client has a
// per-second cap c: a client's slots are at least ceil(1e6 / c) apart). If that slot is more
// than max_wait away, the call is refused at once and takes nothing.
// Priority: far ahead, slots are held for tiers in a repeating pattern of lane_period slots
// (k % 4 == 0: core only; k % 4 == 2: core and standard; others: every tier), so batch may
// book at most half of the far schedule and standard three quarters. A slot fewer than
// open_slots slots from now is open to every tier. So under a batch (or standard) flood that
// fills the schedule to max_wait, a core call still finds a core-held slot no further than
// open_slots + lane_period slots away: wait < (open_slots + lane_period) * T = 320 ms at
// 25/s. Utilisation: a held slot is open to all open_slots * T (160 ms at 25/s) before its
// time, so it stays idle only if no call at all arrives in that time; with enough demand
// every slot is taken and the pool runs at its full rate.
// Release: a call that gave up before its slot frees it (the slot is in the future, so nothing
// was sent); another call may then take it. A client's next slot moves back only if the
// released slot was the client's last.
// A changed rate (config reload) keeps the bound for new slots: they keep T (the new one) from
// every slot taken before. Instances pass their own clocks; slots are kept pace_history past
// their time, so a lagging instance still keeps T from them.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "policy/config.hpp"

namespace almagate {

// The far-ahead tiers pattern repeats every lane_period slots.
inline constexpr std::int64_t lane_period = 4;
// Slots fewer than this many after the first slot at or after now are open to every tier.
inline constexpr std::int64_t open_slots = 4;
// Taken slots are kept this long past their time, so an instance whose clock lags the others
// by up to this much still sees them (and the window bound holds across clock skew).
inline constexpr std::chrono::milliseconds pace_history{5'000};

struct pace_request {
  std::string pool;                      // pool::name
  double pool_rate = 0;                  // pool::per_second, > 0
  std::string client;                    // client::id
  double client_rate = 0;                // client::per_second; 0 = no per-client cap
  tier tier_ = tier::standard;
  std::chrono::milliseconds max_wait{0}; // pool::max_wait: refuse if the slot is further away
  std::chrono::system_clock::time_point now;
};

struct pace_reply {
  bool granted = false;
  std::chrono::system_clock::time_point slot;  // granted: when the call may go (>= now)
  std::chrono::microseconds wait{0};           // granted: slot - now
  std::chrono::milliseconds retry_after{0};    // refused: until a slot fits max_wait, >= 1 ms
  bool paced_locally = false;                  // store_failure share: this instance's schedule
};

// The schedule's clock: microseconds since the unix epoch.
std::int64_t to_pace_us(std::chrono::system_clock::time_point t);
std::chrono::system_clock::time_point from_pace_us(std::int64_t us);

// T: microseconds between slots, ceil(1e6 / per_second), at least 1; 0 if per_second <= 0.
std::int64_t slot_spacing_us(double per_second);

// May a call of tier t take slot k, when first_k is the first slot at or after now?
bool tier_may_take(tier t, std::int64_t k, std::int64_t first_k);

struct slot_query {
  std::int64_t now_us = 0;
  std::int64_t spacing_us = 1;         // the pool's T
  std::int64_t client_next_us = 0;     // the client's earliest next slot; 0 = none
  std::int64_t client_spacing_us = 0;  // 0 = no per-client cap
  tier tier_ = tier::standard;
  std::int64_t max_wait_us = 0;
};

struct slot_plan {
  bool granted = false;
  std::int64_t slot_us = 0;         // granted: the slot taken
  std::int64_t retry_after_us = 0;  // refused: first possible slot - now - max_wait, >= 1000
  std::int64_t client_next_us = 0;  // granted with a client cap: slot + client spacing
};

// The earliest slot the call may take. `taken`: the pool's taken slots, ascending (slots at or
// before now - T may be left out).
slot_plan plan_slot(const slot_query& q, std::span<const std::int64_t> taken);

// A slot may be given back only while it is still in the future.
bool may_release(std::int64_t slot_us, std::int64_t now_us);

// The client's next slot after releasing `slot_us`: back to the slot if it was the client's
// last one, else unchanged.
std::int64_t client_next_after_release(std::int64_t client_next_us, std::int64_t slot_us,
                                       std::int64_t client_spacing_us);

pace_reply reply_for(const slot_plan& plan, std::int64_t now_us);

}  // namespace almagate
