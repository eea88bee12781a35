#pragma once
// The in-process store: one instance of the gateway, counts lost on restart.
// All store instances made by one factory share one mutex-guarded state (see budget_store.hpp).

#include <map>
#include <mutex>
#include <set>

#include "policy/budget_store.hpp"

namespace almagate {

store_factory make_memory_store_factory();

// The pools' pacing schedules of one process (policy/pacing.hpp), safe from any thread. The
// memory store paces with it; the Redis store too while Redis is down (store_failure share),
// at rate / divisor (the live instances).
class local_pacer {
 public:
  pace_reply reserve(const pace_request& r, std::int64_t divisor = 1);
  bool release(const pace_request& r, std::chrono::system_clock::time_point slot,
               std::int64_t divisor = 1);

 private:
  struct schedule {
    std::set<std::int64_t> taken;                                 // slot instants, unix us
    std::map<std::string, std::int64_t, std::less<>> client_next;  // earliest next slot
  };
  schedule& at(const std::string& pool, std::int64_t now_us, std::int64_t spacing_us);

  std::mutex mutex_;
  std::map<std::string, schedule, std::less<>> pools_;
};

}  // namespace almagate
