#pragma once
// Request ids: 16 hex digits, unique enough to find one call in the logs; also Alma's trackingId.

#include <array>
#include <string>
#include <string_view>

namespace almagate {

// A request id held in place: one more digit than a std::string keeps without an allocation,
// and every call has one.
class request_id {
 public:
  static request_id make();
  std::string_view view() const { return {digits_.data(), digits_.size()}; }
  operator std::string_view() const { return view(); }

 private:
  std::array<char, 16> digits_;
};

std::string new_request_id();

}  // namespace almagate
