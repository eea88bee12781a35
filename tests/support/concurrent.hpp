#pragma once
// Load from many client threads at once, collecting what each call returned.

#include <cstddef>
#include <functional>
#include <map>
#include <vector>

#include "tests/support/http_client.hpp"

namespace almagate::test {

// Runs `threads` threads; each makes its own http_client from `options` and calls
// `call(client, thread_index, call_index)` `calls_per_thread` times. Returns the statuses the
// calls returned, in thread order. Rethrows the first exception a call threw.
using concurrent_call = std::function<int(http_client&, std::size_t thread, std::size_t call)>;
std::vector<int> run_concurrently(std::size_t threads, std::size_t calls_per_thread,
                                  const client_options& options, const concurrent_call& call);

// status -> how many times it occurred.
std::map<int, std::size_t> count_statuses(const std::vector<int>& statuses);

}  // namespace almagate::test
