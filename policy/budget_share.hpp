#pragma once
// store_failure: share. While the shared store is down, this instance counts on its own and
// spends at most (pool's last known remaining) / (live instances), and the same share of each
// tier's reserve and of the client's quota left. The calls counted meanwhile are kept as
// unsynced deltas and added to the shared store once it answers again.
// One per process (all event loops); safe to call from any thread.

#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "policy/budget_store.hpp"

namespace almagate {

class budget_share {
 public:
  struct delta {
    pool_day_key where;
    std::string client;
    std::int64_t calls = 0;
  };

  // The shared store answered: remember its counts and drop this pool's local counts (their
  // deltas stay unsynced until pushed).
  void observe(const pool_day_key& where, const std::string& client, const budget_state& shared);
  void observe_pool(const pool_day_key& where, std::int64_t pool_used, bool spent);
  void set_live_instances(std::int64_t n);
  std::int64_t live_instances() const;

  charge_reply charge_locally(const charge_request& r);
  budget_state refund_locally(const refund_request& r);
  void mark_spent_locally(const pool_day_key& where);

  bool has_unsynced() const;
  std::vector<delta> take_unsynced();
  void put_back(std::vector<delta> deltas);

 private:
  struct pool_entry {
    budget_state known;  // client_used unused
    std::map<std::string, std::int64_t, std::less<>> client_known;
    std::int64_t local_used = 0;
    std::map<std::string, std::int64_t, std::less<>> local_client;
    bool spent_locally = false;
    pool_day_key where;
  };
  pool_entry& entry(const pool_day_key& where);

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, pool_entry> pools_;  // (pool, day)
  std::map<std::tuple<std::string, std::string, std::string>, delta> unsynced_;
  std::int64_t live_instances_ = 1;
};

}  // namespace almagate
