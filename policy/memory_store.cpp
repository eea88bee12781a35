#include "policy/memory_store.hpp"

#include <map>
#include <mutex>
#include <tuple>

namespace almagate {

namespace {

struct pool_counts {
  std::int64_t used = 0;
  bool spent = false;
  std::chrono::sys_seconds expire_at;
  std::map<std::string, std::int64_t, std::less<>> client_used;
};

using usage_key = std::tuple<std::string, std::string, area, access, int>;

// Shared by every instance of one factory, guarded by its mutex.
struct memory_state {
  std::mutex mutex;
  std::map<std::pair<std::string, std::string>, pool_counts> pools;  // (pool, day)
  std::map<std::string, std::map<usage_key, std::int64_t>> usage;    // day -> lines

  // Caller holds the mutex. Forgets days that expired before this one started.
  pool_counts& at(const pool_day_key& key) {
    std::erase_if(pools, [&](const auto& kv) {
      return kv.first.first == key.pool &&
             kv.second.expire_at < key.expire_at - std::chrono::hours{24} - count_slack;
    });
    auto& counts = pools[{key.pool, key.day}];
    counts.expire_at = std::max(counts.expire_at, key.expire_at);
    return counts;
  }
};

budget_state state_of(const pool_counts& c, const std::string& client) {
  const auto it = c.client_used.find(client);
  return {c.used, it == c.client_used.end() ? 0 : it->second, c.spent};
}

class memory_store : public budget_store {
 public:
  explicit memory_store(std::shared_ptr<memory_state> state) : state_(std::move(state)) {}

  awaitable<store_result<charge_reply>> charge(charge_request r) override {
    std::lock_guard lock(state_->mutex);
    auto& c = state_->at(r.where);
    const auto before = state_of(c, r.client);
    const auto d = decide(before, r.limits, r.min_calls, r.max_calls);
    charge_reply reply;
    reply.result = d.result;
    reply.granted = d.granted;
    if (d.granted > 0) {
      c.used += d.granted;
      c.client_used[r.client] += d.granted;
    } else {
      reply.retry_after = r.retry_after;
    }
    reply.counts = state_of(c, r.client);
    reply.remaining_for_client = remaining_for_client(reply.counts, r.limits);
    co_return reply;
  }

  awaitable<store_result<budget_state>> refund(refund_request r) override {
    std::lock_guard lock(state_->mutex);
    auto& c = state_->at(r.where);
    c.used = std::max<std::int64_t>(c.used - r.calls, 0);
    auto& client = c.client_used[r.client];
    client = std::max<std::int64_t>(client - r.calls, 0);
    co_return state_of(c, r.client);
  }

  awaitable<store_result<budget_state>> reconcile_remaining(pool_day_key where,
                                                            std::int64_t daily_limit,
                                                            std::int64_t alma_remaining) override {
    std::lock_guard lock(state_->mutex);
    auto& c = state_->at(where);
    c.used = std::max(c.used, daily_limit - alma_remaining);
    co_return budget_state{c.used, 0, c.spent};
  }

  awaitable<store_result<void>> mark_pool_spent(pool_day_key where) override {
    std::lock_guard lock(state_->mutex);
    state_->at(where).spent = true;
    co_return store_result<void>{};
  }

  awaitable<store_result<budget_state>> read_counts(pool_day_key where,
                                                    std::string client) override {
    std::lock_guard lock(state_->mutex);
    co_return state_of(state_->at(where), client);
  }

  void record_usage(usage_record r) override {
    std::lock_guard lock(state_->mutex);
    state_->usage[r.day][{r.client, r.environment, r.area_, r.access_, r.status_class}] += r.calls;
  }

  awaitable<store_result<std::vector<usage_record>>> read_usage(std::string day) override {
    std::vector<usage_record> out;
    std::lock_guard lock(state_->mutex);
    if (const auto it = state_->usage.find(day); it != state_->usage.end()) {
      for (const auto& [k, calls] : it->second)
        out.push_back({day, std::get<0>(k), std::get<1>(k), std::get<2>(k), std::get<3>(k),
                       std::get<4>(k), calls});
    }
    co_return out;
  }

 private:
  std::shared_ptr<memory_state> state_;
};

}  // namespace

store_factory make_memory_store_factory() {
  auto state = std::make_shared<memory_state>();
  return [state](executor) -> std::unique_ptr<budget_store> {
    return std::make_unique<memory_store>(state);
  };
}

}  // namespace almagate
