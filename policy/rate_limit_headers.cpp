#include "policy/rate_limit_headers.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace almagate {

field_text& field_text::operator<<(std::string_view text) {
  const std::size_t n = std::min(text.size(), capacity - size_);
  std::memcpy(text_.data() + size_, text.data(), n);
  size_ = static_cast<unsigned char>(size_ + n);
  return *this;
}

field_text& field_text::operator<<(std::int64_t number) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, number).ptr;
  return *this << std::string_view(digits, static_cast<std::size_t>(end - digits));
}

std::int64_t daily_allowance(const budget_limits& limits) {
  std::int64_t pool_part = std::max<std::int64_t>(0, limits.daily_limit - limits.reserve);
  return limits.quota ? std::min(*limits.quota, pool_part) : pool_part;
}

rate_limit_fields rate_limit_fields_for(const budget_state& state, const budget_limits& limits,
                                        std::chrono::seconds until_reset) {
  std::int64_t remaining = remaining_for_client(state, limits);
  rate_limit_fields out;
  out.policy << "\"daily\";q=" << daily_allowance(limits) << ";w=86400";
  out.limit << "\"daily\";r=" << remaining << ";t="
            << std::max<std::int64_t>(0, until_reset.count());
  out.exl_remaining << remaining;
  return out;
}

}  // namespace almagate
