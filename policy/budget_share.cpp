#include "policy/budget_share.hpp"

#include <algorithm>

namespace almagate {

budget_share::pool_entry& budget_share::entry(const pool_day_key& where) {
  auto& e = pools_[{where.pool, where.day}];
  e.where = where;
  // Only today's and yesterday's entries matter.
  std::erase_if(pools_, [&](const auto& kv) {
    return kv.first.first == where.pool &&
           kv.second.where.expire_at < where.expire_at - std::chrono::hours{24} - count_slack;
  });
  return pools_[{where.pool, where.day}];
}

void budget_share::observe(const pool_day_key& where, const std::string& client,
                           const budget_state& shared) {
  std::lock_guard lock(mutex_);
  auto& e = entry(where);
  e.known = {shared.pool_used, 0, shared.pool_marked_spent};
  e.client_known[client] = shared.client_used;
  e.local_used = 0;
  e.local_client.clear();
  e.spent_locally = false;
}

void budget_share::observe_pool(const pool_day_key& where, std::int64_t pool_used, bool spent) {
  std::lock_guard lock(mutex_);
  auto& e = entry(where);
  e.known.pool_used = std::max(e.known.pool_used, pool_used);
  e.known.pool_marked_spent = e.known.pool_marked_spent || spent;
}

void budget_share::set_live_instances(std::int64_t n) {
  std::lock_guard lock(mutex_);
  live_instances_ = std::max<std::int64_t>(n, 1);
}

std::int64_t budget_share::live_instances() const {
  std::lock_guard lock(mutex_);
  return live_instances_;
}

charge_reply budget_share::charge_locally(const charge_request& r) {
  std::lock_guard lock(mutex_);
  auto& e = entry(r.where);
  const auto live = live_instances_;
  const auto client_known = e.client_known[r.client];
  budget_limits share;
  share.daily_limit = std::max<std::int64_t>(r.limits.daily_limit - e.known.pool_used, 0) / live;
  share.reserve = r.limits.reserve / live;
  if (r.limits.quota)
    share.quota = std::max<std::int64_t>(*r.limits.quota - client_known, 0) / live;
  auto& local_client = e.local_client[r.client];
  const budget_state local{e.local_used, local_client,
                           e.known.pool_marked_spent || e.spent_locally};
  // Only what the call needs: a block asked for a lease would be counted here and pushed to
  // Redis later, but calls counted locally are spent one by one, never from a lease.
  const auto d = decide(local, share, r.min_calls, r.min_calls);

  charge_reply reply;
  reply.result = d.result;
  reply.granted = d.granted;
  reply.counted_locally = true;
  if (d.granted > 0) {
    e.local_used += d.granted;
    local_client += d.granted;
    auto& u = unsynced_[{r.where.pool, r.where.day, r.client}];
    u.where = r.where;
    u.client = r.client;
    u.calls += d.granted;
  } else {
    reply.retry_after = r.retry_after;
  }
  reply.counts = {e.known.pool_used + e.local_used, client_known + local_client, local.pool_marked_spent};
  reply.remaining_for_client =
      remaining_for_client({e.local_used, local_client, local.pool_marked_spent}, share);
  return reply;
}

budget_state budget_share::refund_locally(const refund_request& r) {
  std::lock_guard lock(mutex_);
  auto& e = entry(r.where);
  auto& local_client = e.local_client[r.client];
  e.local_used = std::max<std::int64_t>(e.local_used - r.calls, 0);
  local_client = std::max<std::int64_t>(local_client - r.calls, 0);
  if (auto it = unsynced_.find({r.where.pool, r.where.day, r.client}); it != unsynced_.end())
    it->second.calls = std::max<std::int64_t>(it->second.calls - r.calls, 0);
  return {e.known.pool_used + e.local_used, e.client_known[r.client] + local_client,
          e.known.pool_marked_spent || e.spent_locally};
}

void budget_share::mark_spent_locally(const pool_day_key& where) {
  std::lock_guard lock(mutex_);
  entry(where).spent_locally = true;
}

bool budget_share::has_unsynced() const {
  std::lock_guard lock(mutex_);
  return !unsynced_.empty();
}

std::vector<budget_share::delta> budget_share::take_unsynced() {
  std::lock_guard lock(mutex_);
  std::vector<delta> out;
  for (auto& [k, d] : unsynced_)
    if (d.calls > 0) out.push_back(std::move(d));
  unsynced_.clear();
  return out;
}

void budget_share::put_back(std::vector<delta> deltas) {
  std::lock_guard lock(mutex_);
  for (auto& d : deltas) {
    auto& u = unsynced_[{d.where.pool, d.where.day, d.client}];
    u.where = d.where;
    u.client = d.client;
    u.calls += d.calls;
  }
}

}  // namespace almagate
