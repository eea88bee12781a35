#include "proxy/request_id.hpp"

#include <atomic>
#include <cstdint>
#include <random>

namespace almagate {

request_id request_id::make() {
  // A per-thread random base plus a counter: cheap, and no two calls share an id.
  thread_local std::uint64_t base = std::random_device{}() * 0x9E3779B97F4A7C15ull ^
                                    (std::uint64_t(std::random_device{}()) << 32);
  thread_local std::uint64_t counter = 0;
  std::uint64_t x = base + (++counter) * 0xD1B54A32D192ED03ull;
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  static constexpr char hex[] = "0123456789abcdef";
  request_id id;
  for (int i = 15; i >= 0; --i, x >>= 4) id.digits_[static_cast<std::size_t>(i)] = hex[x & 0xf];
  return id;
}

std::string new_request_id() { return std::string(request_id::make().view()); }

}  // namespace almagate
