#include <boost/beast/core/string.hpp>
#include <boost/json/parse.hpp>

#include "tests/support/http_client.hpp"

namespace almagate::test {

std::string response_head::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (boost::beast::iequals(n, name)) return v;
  return {};
}

std::vector<std::string> response_head::header_all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : headers)
    if (boost::beast::iequals(n, name)) out.push_back(v);
  return out;
}

bool response_head::has_header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (boost::beast::iequals(n, name)) return true;
  return false;
}

boost::json::value response::json() const { return boost::json::parse(body); }

char generated_byte(std::uint64_t i) {
  static constexpr std::string_view pattern = "abcdefghijklmnopqrstuvwxyz0123456789\n";
  return pattern[i % pattern.size()];
}

std::string generated_body(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = generated_byte(i);
  return out;
}

std::uint64_t checksum(std::string_view data, std::uint64_t seed) {
  std::uint64_t h = seed;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::uint64_t generated_body_checksum(std::uint64_t size) {
  std::uint64_t h = checksum({});
  char chunk[4096];
  for (std::uint64_t done = 0; done < size;) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof chunk, size - done));
    for (std::size_t i = 0; i < n; ++i) chunk[i] = generated_byte(done + i);
    h = checksum({chunk, n}, h);
    done += n;
  }
  return h;
}

}  // namespace almagate::test
