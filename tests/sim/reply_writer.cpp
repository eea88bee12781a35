#include "tests/sim/reply_writer.hpp"

namespace almagate::sim {

const std::string& filler_chunk() {
  static const std::string chunk = [] {
    std::string s(64 * 1024, ' ');
    constexpr std::string_view pattern = "alma-sim generated body 0123456789abcdefghijklmnop\n";
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = pattern[i % pattern.size()];
    return s;
  }();
  return chunk;
}

}  // namespace almagate::sim
