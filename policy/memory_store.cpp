#include "policy/memory_store.hpp"

#include <tuple>
#include <vector>

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
  std::map<std::string, std::map<std::string, hourly_counts>> hourly; // pool -> day -> hours
  std::map<std::string, std::int64_t> quota_overrides;               // client -> quota
  std::map<std::tuple<std::string, std::string, double>, std::chrono::sys_seconds>
      alerts;  // (pool, day, threshold) -> expire_at
  local_pacer pacer;  // has its own mutex

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

  void record_hourly(std::string pool, std::string day, int hour, std::int64_t calls) override {
    if (hour < 0 || hour > 23) return;
    std::lock_guard lock(state_->mutex);
    auto& days = state_->hourly[pool];
    days[day][static_cast<std::size_t>(hour)] += calls;
    // Day labels sort by date: keep the newest ones, as Redis keeps hourly_retention.
    const auto keep = static_cast<std::size_t>(hourly_retention / std::chrono::hours{24});
    while (days.size() > keep) days.erase(days.begin());
  }

  awaitable<store_result<hourly_counts>> read_hourly(std::string pool, std::string day) override {
    std::lock_guard lock(state_->mutex);
    hourly_counts out{};
    if (const auto p = state_->hourly.find(pool); p != state_->hourly.end())
      if (const auto d = p->second.find(day); d != p->second.end()) out = d->second;
    co_return out;
  }

  awaitable<store_result<pace_reply>> reserve_slot(pace_request r) override {
    co_return state_->pacer.reserve(r);
  }

  awaitable<store_result<bool>> release_slot(pace_request r,
                                             std::chrono::system_clock::time_point slot) override {
    co_return state_->pacer.release(r, slot);
  }

  awaitable<store_result<void>> set_quota_override(std::string client,
                                                   std::int64_t quota) override {
    std::lock_guard lock(state_->mutex);
    state_->quota_overrides[std::move(client)] = quota;
    co_return store_result<void>{};
  }

  awaitable<store_result<void>> clear_quota_override(std::string client) override {
    std::lock_guard lock(state_->mutex);
    state_->quota_overrides.erase(client);
    co_return store_result<void>{};
  }

  awaitable<store_result<std::map<std::string, std::int64_t>>> read_quota_overrides() override {
    std::lock_guard lock(state_->mutex);
    co_return state_->quota_overrides;
  }

  awaitable<store_result<bool>> claim_alert(pool_day_key where, double threshold) override {
    std::lock_guard lock(state_->mutex);
    // Forget the claims of days whose counts have expired (as Redis would).
    std::erase_if(state_->alerts, [&](const auto& kv) {
      return kv.second < where.expire_at - std::chrono::hours{24} - count_slack;
    });
    const auto [it, inserted] =
        state_->alerts.try_emplace({where.pool, where.day, threshold}, where.expire_at);
    co_return inserted;
  }

 private:
  std::shared_ptr<memory_state> state_;
};

}  // namespace

local_pacer::schedule& local_pacer::at(const std::string& pool, std::int64_t now_us,
                                       std::int64_t spacing_us) {
  auto& s = pools_[pool];
  // Kept pace_history past their time: another thread's clock may lag this one.
  const auto history = std::chrono::microseconds{pace_history}.count();
  s.taken.erase(s.taken.begin(), s.taken.upper_bound(now_us - spacing_us - history));
  std::erase_if(s.client_next, [&](const auto& kv) { return kv.second <= now_us - history; });
  return s;
}

pace_reply local_pacer::reserve(const pace_request& r, std::int64_t divisor) {
  divisor = std::max<std::int64_t>(divisor, 1);
  slot_query q;
  q.now_us = to_pace_us(r.now);
  q.spacing_us = slot_spacing_us(r.pool_rate / static_cast<double>(divisor));
  q.client_spacing_us = slot_spacing_us(r.client_rate / static_cast<double>(divisor));
  q.tier_ = r.tier_;
  q.max_wait_us = std::chrono::duration_cast<std::chrono::microseconds>(r.max_wait).count();
  if (q.spacing_us == 0) q.spacing_us = 1;
  std::lock_guard lock(mutex_);
  auto& s = at(r.pool, q.now_us, q.spacing_us);
  if (const auto it = s.client_next.find(r.client); it != s.client_next.end())
    q.client_next_us = it->second;
  // Slots at or before now - T cannot be near a new one.
  const std::vector<std::int64_t> taken(s.taken.upper_bound(q.now_us - q.spacing_us),
                                        s.taken.end());
  const auto plan = plan_slot(q, taken);
  if (plan.granted) {
    s.taken.insert(plan.slot_us);
    if (q.client_spacing_us > 0) s.client_next[r.client] = plan.client_next_us;
  }
  return reply_for(plan, q.now_us);
}

bool local_pacer::release(const pace_request& r, std::chrono::system_clock::time_point slot,
                          std::int64_t divisor) {
  const auto now_us = to_pace_us(r.now);
  const auto slot_us = to_pace_us(slot);
  if (!may_release(slot_us, now_us)) return false;
  const auto client_spacing =
      slot_spacing_us(r.client_rate / static_cast<double>(std::max<std::int64_t>(divisor, 1)));
  std::lock_guard lock(mutex_);
  const auto it = pools_.find(r.pool);
  if (it == pools_.end() || it->second.taken.erase(slot_us) == 0) return false;
  if (const auto c = it->second.client_next.find(r.client); c != it->second.client_next.end())
    c->second = client_next_after_release(c->second, slot_us, client_spacing);
  return true;
}

store_factory make_memory_store_factory() {
  auto state = std::make_shared<memory_state>();
  return [state](executor) -> std::unique_ptr<budget_store> {
    return std::make_unique<memory_store>(state);
  };
}

}  // namespace almagate
