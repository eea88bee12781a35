#pragma once
// What simple_request and simple_response share: the characters of HTTP/1.1 header lines and
// a scan of the field lines that accepts only what Beast's parser reads the same way (no
// folding, no control characters, a token before each colon).

#include <array>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string_view>

#include "proxy/io.hpp"

namespace almagate::simple_fields {

// RFC 9110 tchar: the characters of a field name or a method.
inline constexpr std::array<bool, 256> token_chars = [] {
  std::array<bool, 256> t{};
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  return t;
}();

// A field value's or reason phrase's characters: visible ASCII, space, tab and obs-text.
inline bool is_text(unsigned char c) { return c == '\t' || (c >= ' ' && c != 0x7f); }

inline bool is_space(char c) { return c == ' ' || c == '\t'; }

// What a Connection field says, if it names nothing but close and keep-alive.
struct connection_tokens {
  bool close = false;
  bool keep_alive = false;
};
inline std::optional<connection_tokens> read_connection(std::string_view value) {
  connection_tokens says;
  while (!value.empty()) {
    auto comma = value.find(',');
    auto token = value.substr(0, comma);
    while (!token.empty() && is_space(token.front())) token.remove_prefix(1);
    while (!token.empty() && is_space(token.back())) token.remove_suffix(1);
    if (beast::iequals(token, "close")) says.close = true;
    else if (beast::iequals(token, "keep-alive")) says.keep_alive = true;
    else if (!token.empty()) return std::nullopt;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return says;
}

// Calls visit(name, value) for each field line of `header` from `at` (a line's start) to the
// blank line, the value without the whitespace around it. False at the first line that is
// not a plain field, or when visit returns false.
template <class Visit>
bool scan(std::string_view header, std::size_t at, Visit visit) {
  while (header.compare(at, 2, "\r\n") != 0) {
    std::size_t i = at;
    while (i < header.size() && token_chars[static_cast<unsigned char>(header[i])]) ++i;
    if (i == at || i >= header.size() || header[i] != ':') return false;
    const std::size_t end = header.find("\r\n", i);
    for (std::size_t j = i + 1; j < end; ++j)
      if (!is_text(static_cast<unsigned char>(header[j]))) return false;
    // A line that starts with a space or tab continues the last (obsolete folding).
    if (is_space(header[end + 2])) return false;
    std::size_t v = i + 1, w = end;
    while (v < w && is_space(header[v])) ++v;
    while (w > v && is_space(header[w - 1])) --w;
    if (!visit(header.substr(at, i - at), header.substr(v, w - v))) return false;
    at = end + 2;
  }
  return true;
}

// Copies pieces of a header into room already made for them (the writers size the header
// first: a few hundred bytes in a dozen pieces).
class header_writer {
 public:
  explicit header_writer(char* at) : at_(at) {}
  void put(std::string_view text) {
    std::memcpy(at_, text.data(), text.size());
    at_ += text.size();
  }
  void field(std::string_view name, std::string_view value) {
    put(name);
    put(": ");
    put(value);
    put("\r\n");
  }
  static std::size_t field_size(std::string_view name, std::string_view value) {
    return name.size() + value.size() + 4;
  }

 private:
  char* at_;
};

// A field kept for writing out again.
struct field {
  std::string_view name;
  std::string_view value;
  bool hop_by_hop = false;
};

}  // namespace almagate::simple_fields
