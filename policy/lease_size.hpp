#pragma once
// How many calls an event loop charges at once from the store (a lease's block).
//
// Near a limit a block is a 64th of what remains, so within 4,096 calls of it a block is
// under 64 calls and within 128 every call is charged on its own: counts stay exact where it
// matters, and a block is counted in the store before it is spent, so no limit is passed.
// Far from the limits the block's size follows the loop's own pace: it starts at 64 calls,
// doubles (up to 1,024) while a block lasts less than a tenth of a second, and halves again
// while one lasts more than a second. A busy loop then asks the store once every tenth of a
// second or so instead of every 64 calls (each ask costs Redis about as much CPU as the
// gateway spends on a call), and a quiet one keeps small blocks: a gateway that dies loses
// its open blocks (counted, never spent), at most about a second of its calls.

#include <chrono>
#include <cstdint>

namespace almagate {

struct lease_size {
  static constexpr std::int64_t divisor = 64;
  static constexpr std::int64_t smallest_cap = 64;
  static constexpr std::int64_t largest_cap = 1024;
  static constexpr std::chrono::milliseconds short_block{100};
  static constexpr std::chrono::milliseconds long_block{1000};

  // The block for a lease whose client and pool have `remaining` calls, under `cap`.
  static std::int64_t block(std::int64_t remaining, std::int64_t cap);

  // The cap after a block of a lease lasted `lasted` (from one block's grant to the next's).
  static std::int64_t next_cap(std::int64_t cap, std::chrono::steady_clock::duration lasted);
};

}  // namespace almagate
