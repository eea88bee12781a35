#include "policy/lease_size.hpp"

#include <doctest/doctest.h>

using namespace almagate;
using namespace std::chrono_literals;

TEST_CASE("lease block: a 64th of what remains, within the cap, at least one call") {
  CHECK(lease_size::block(1'000'000, 64) == 64);
  CHECK(lease_size::block(1'000'000, 1024) == 1024);
  CHECK(lease_size::block(4'096, 1024) == 64);  // near a limit the remainder decides
  CHECK(lease_size::block(640, 1024) == 10);
  CHECK(lease_size::block(127, 1024) == 1);    // within 128 calls: one call at a time
  CHECK(lease_size::block(0, 1024) == 1);      // the store refuses what is not there
  CHECK(lease_size::block(-5, 64) == 1);
}

TEST_CASE("lease cap: doubles while blocks are short, halves while long, stays between") {
  std::int64_t cap = lease_size::smallest_cap;
  // A busy loop: each block spent in 20 ms.
  cap = lease_size::next_cap(cap, 20ms);
  CHECK(cap == 128);
  for (int i = 0; i < 10; ++i) cap = lease_size::next_cap(cap, 20ms);
  CHECK(cap == lease_size::largest_cap);
  // Between a tenth of a second and a second: kept.
  CHECK(lease_size::next_cap(cap, 100ms) == cap);
  CHECK(lease_size::next_cap(cap, 1000ms) == cap);
  CHECK(lease_size::next_cap(256, 500ms) == 256);
  // Slower: halved, down to the smallest.
  cap = lease_size::next_cap(cap, 3s);
  CHECK(cap == 512);
  for (int i = 0; i < 10; ++i) cap = lease_size::next_cap(cap, 3s);
  CHECK(cap == lease_size::smallest_cap);
}
