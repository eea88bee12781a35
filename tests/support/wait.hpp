#pragma once
// Waiting for a condition in tests: poll it against a deadline, never a bare sleep.

#include <chrono>
#include <functional>

namespace almagate::test {

// Polls `condition` every `poll_interval` until it returns true (-> true) or `timeout` has
// passed (-> false). The condition is checked once more at the deadline.
bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
              std::chrono::milliseconds poll_interval = std::chrono::milliseconds(10));

}  // namespace almagate::test
