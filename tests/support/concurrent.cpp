#include "tests/support/concurrent.hpp"

#include <exception>
#include <mutex>
#include <thread>

namespace almagate::test {

std::vector<int> run_concurrently(std::size_t threads, std::size_t calls_per_thread,
                                  const client_options& options, const concurrent_call& call) {
  std::vector<std::vector<int>> per_thread(threads);
  std::exception_ptr first_failure;
  std::mutex failure_mutex;
  {
    std::vector<std::jthread> workers;
    for (std::size_t t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        try {
          http_client client(options);
          for (std::size_t i = 0; i < calls_per_thread; ++i)
            per_thread[t].push_back(call(client, t, i));
        } catch (...) {
          std::lock_guard lock(failure_mutex);
          if (!first_failure) first_failure = std::current_exception();
        }
      });
    }
  }
  if (first_failure) std::rethrow_exception(first_failure);
  std::vector<int> out;
  for (const auto& statuses : per_thread) out.insert(out.end(), statuses.begin(), statuses.end());
  return out;
}

std::map<int, std::size_t> count_statuses(const std::vector<int>& statuses) {
  std::map<int, std::size_t> out;
  for (int s : statuses) ++out[s];
  return out;
}

}  // namespace almagate::test
