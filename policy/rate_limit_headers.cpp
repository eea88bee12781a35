#include "policy/rate_limit_headers.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace almagate {

// Out of line (it is the rare path), and so out of GCC's bounds guesses about its callers.
[[gnu::noinline]] field_text& field_text::append_cut(std::string_view text) {
  const std::size_t n = std::min(text.size(), capacity - size_);
  std::memcpy(text_.data() + size_, text.data(), n);
  size_ = static_cast<unsigned char>(size_ + n);
  return *this;
}

field_text& field_text::operator<<(std::int64_t number) {
  // Straight into place when the digits fit (always, for the fields below).
  char* const at = text_.data() + size_;
  if (auto [end, ec] = std::to_chars(at, text_.data() + capacity, number); ec == std::errc{}) {
    size_ = static_cast<unsigned char>(end - text_.data());
    return *this;
  }
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, number).ptr;
  return append_cut(std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

std::int64_t daily_allowance(const budget_limits& limits) {
  std::int64_t pool_part = std::max<std::int64_t>(0, limits.daily_limit - limits.reserve);
  return limits.quota ? std::min(*limits.quota, pool_part) : pool_part;
}

namespace {
// The RateLimit-Policy text of the last allowance this thread formatted.
struct policy_memo {
  bool valid = false;
  std::int64_t allowance = 0;
  field_text text;
};

const field_text& policy_for(std::int64_t allowance) {
  thread_local policy_memo memo;
  if (!memo.valid || memo.allowance != allowance) {
    memo.text = field_text{};
    memo.text << "\"daily\";q=" << allowance << ";w=86400";
    memo.allowance = allowance;
    memo.valid = true;
  }
  return memo.text;
}
}  // namespace

rate_limit_fields rate_limit_fields_for(const budget_state& state, const budget_limits& limits,
                                        std::chrono::seconds until_reset) {
  // Formatted once, copied into both fields that carry it.
  char digits[24];
  const auto end =
      std::to_chars(digits, digits + sizeof digits, remaining_for_client(state, limits)).ptr;
  const std::string_view remaining(digits, static_cast<std::size_t>(end - digits));
  rate_limit_fields out;
  out.policy = policy_for(daily_allowance(limits));
  out.limit << "\"daily\";r=" << remaining << ";t="
            << std::max<std::int64_t>(0, until_reset.count());
  out.exl_remaining << remaining;
  return out;
}

}  // namespace almagate
