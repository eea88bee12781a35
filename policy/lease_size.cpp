#include "policy/lease_size.hpp"

#include <algorithm>

namespace almagate {

std::int64_t lease_size::block(std::int64_t remaining, std::int64_t cap) {
  return std::clamp<std::int64_t>(remaining / divisor, 1, std::max<std::int64_t>(cap, 1));
}

std::int64_t lease_size::next_cap(std::int64_t cap, std::chrono::steady_clock::duration lasted) {
  if (lasted < short_block) return std::min(cap * 2, largest_cap);
  if (lasted > long_block) return std::max(cap / 2, smallest_cap);
  return std::clamp(cap, smallest_cap, largest_cap);
}

}  // namespace almagate
