#pragma once
// What a script is told of its daily allowance: the IETF RateLimit-Policy and RateLimit
// fields (draft-ietf-httpapi-ratelimit-headers), and X-Exl-Api-Remaining rewritten to the
// calls this client can still make today, so scripts that back off on Alma's header back off
// on their own allowance.

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "policy/budget.hpp"

namespace almagate {

// A field value kept in place, without an allocation: these are formatted on every call.
class field_text {
 public:
  static constexpr std::size_t capacity = 63;
  // Appends `text`, or an integer's digits; what passes `capacity` is cut (none of the values
  // below comes near it).
  field_text& operator<<(std::string_view text) {
    // Inline: a constant piece becomes a fixed copy.
    if (size_ + text.size() > capacity) return append_cut(text);
    std::memcpy(text_.data() + size_, text.data(), text.size());
    size_ = static_cast<unsigned char>(size_ + text.size());
    return *this;
  }
  field_text& operator<<(std::int64_t number);
  operator std::string_view() const { return {text_.data(), size_}; }
  std::string_view view() const { return *this; }
  friend bool operator==(const field_text& a, std::string_view b) { return a.view() == b; }

 private:
  field_text& append_cut(std::string_view text);
  // Not zeroed (formatted on every call): only the first size_ characters are read.
  std::array<char, capacity> text_;
  unsigned char size_ = 0;
};

struct rate_limit_fields {
  field_text policy;          // RateLimit-Policy: "daily";q=60000;w=86400
  field_text limit;           // RateLimit: "daily";r=59000;t=3600
  field_text exl_remaining;   // X-Exl-Api-Remaining: 59000
};

// The client's daily allowance: its quota, capped by the pool above its tier's reserve.
std::int64_t daily_allowance(const budget_limits& limits);

// The fields for a client's counts. RateLimit-Policy depends only on the allowance: its text is
// kept per thread and formatted again only when the allowance changes.
rate_limit_fields rate_limit_fields_for(const budget_state& state, const budget_limits& limits,
                                        std::chrono::seconds until_reset);

}  // namespace almagate
