#pragma once
// The conformance suite's fixtures: one per store, the same cases run on each.

#include <date/date.h>
#include <doctest/doctest.h>

#include <atomic>
#include <optional>
#include <string>

#include <unistd.h>

#include "policy/budget_store.hpp"
#include "policy/memory_store.hpp"
#include "policy/redis_store.hpp"
#include "tests/support/redis_server.hpp"

namespace almagate::test {

// Runs one store operation on the loop until it completes, bounded by a deadline.
template <class T>
std::optional<T> run(net::io_context& ioc, awaitable<T> op,
                     std::chrono::milliseconds deadline = std::chrono::seconds{10}) {
  std::optional<T> out;
  net::co_spawn(ioc.get_executor(), std::move(op),
                [&](std::exception_ptr e, T value) {
                  if (!e) out.emplace(std::move(value));
                });
  if (ioc.stopped()) ioc.restart();
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!out && std::chrono::steady_clock::now() < until) {
    if (ioc.stopped()) ioc.restart();
    ioc.run_one_for(std::chrono::milliseconds{20});
  }
  return out;
}

// Every test gets keys of its own.
inline std::string unique_prefix() {
  static std::atomic<int> n{0};
  std::string prefix = "t";
  prefix.append(std::to_string(::getpid())).append("-").append(std::to_string(++n)).append(":");
  return prefix;
}

// Started once for the whole suite; each test uses its own key prefix.
inline redis_server& shared_redis() {
  static redis_server server;
  return server;
}

inline redis_options redis_options_for(const redis_server& server) {
  auto options = *parse_redis_url(server.url());
  options.key_prefix = unique_prefix();
  options.command_timeout = std::chrono::milliseconds{500};
  options.connect_timeout = std::chrono::milliseconds{500};
  options.backoff_min = std::chrono::milliseconds{20};
  options.backoff_max = std::chrono::milliseconds{200};
  return options;
}

struct memory_backend {
  static constexpr const char* name = "memory";
  store_factory factory = make_memory_store_factory();
};

struct redis_backend {
  static constexpr const char* name = "redis";
  store_factory factory = make_redis_store_factory(redis_options_for(shared_redis()));
};

// A pool of 10 calls a day in New York: standard keeps 3 back, batch 6.
inline pool small_pool() {
  pool p;
  p.name = "main";
  p.daily_limit = 10;
  p.reset_time = std::chrono::minutes{0};
  p.timezone = "America/New_York";
  p.reserve_standard = 3;
  p.reserve_batch = 6;
  return p;
}

inline std::chrono::sys_seconds utc(int y, unsigned m, unsigned d, int h, int mi = 0,
                                    int s = 0) {
  return date::sys_days{date::year{y} / m / d} + std::chrono::hours{h} +
         std::chrono::minutes{mi} + std::chrono::seconds{s};
}

inline charge_request request_for(const pool& p, std::string client, tier t,
                                  std::optional<std::int64_t> quota,
                                  std::chrono::system_clock::time_point now,
                                  std::int64_t min_calls = 1, std::int64_t max_calls = 1) {
  const auto day = *pool_day_at(p.reset_time, p.timezone, now);
  return {key_for(p, day), std::move(client), {p.daily_limit, p.reserve_for(t), quota},
          min_calls, max_calls, day.until_reset};
}

inline pool_day_key key_at(const pool& p, std::chrono::system_clock::time_point now) {
  return key_for(p, *pool_day_at(p.reset_time, p.timezone, now));
}

// A store of the backend on its own loop, with helpers that run one operation each.
template <class Backend>
struct store_case : Backend {
  net::io_context ioc;
  std::unique_ptr<budget_store> store = this->factory(ioc.get_executor());
  pool p = small_pool();
  // Days in the future: Redis expires keys (EXPIREAT) by its own, real clock.
  std::chrono::sys_seconds now = utc(2030, 11, 28, 15);  // 10:00 EST

  charge_reply charge(const std::string& client, tier t = tier::core,
                      std::optional<std::int64_t> quota = std::nullopt,
                      std::int64_t min_calls = 1, std::int64_t max_calls = 1) {
    auto r = run(ioc, store->charge(request_for(p, client, t, quota, now, min_calls, max_calls)));
    REQUIRE(r.has_value());
    REQUIRE_MESSAGE(r->has_value(), r->error().message());
    return **r;
  }

  // Charges until refused; returns how many were charged.
  int charge_all(const std::string& client, tier t,
                 std::optional<std::int64_t> quota = std::nullopt) {
    int n = 0;
    // Bounded: a store that never refuses fails the test instead of looping.
    while (n < 1000 && charge(client, t, quota).result == outcome::charged) ++n;
    return n;
  }

  budget_state counts(const std::string& client) {
    auto r = run(ioc, store->read_counts(key_at(p, now), client));
    REQUIRE(r.has_value());
    REQUIRE_MESSAGE(r->has_value(), r->error().message());
    return **r;
  }

  budget_state refund(const std::string& client, std::int64_t calls) {
    auto r = run(ioc, store->refund({key_at(p, now), client, calls}));
    REQUIRE(r.has_value());
    REQUIRE_MESSAGE(r->has_value(), r->error().message());
    return **r;
  }
};

}  // namespace almagate::test
