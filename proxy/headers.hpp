#pragma once
// Header rules for a proxy (RFC 9110 section 7.6.1): hop-by-hop fields stop here.

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>

#include "proxy/io.hpp"

namespace almagate {

// The hop-by-hop fields a proxy drops whatever the Connection field names.
inline constexpr std::string_view hop_by_hop_fields[] = {
    "Connection",          "Keep-Alive",         "Proxy-Connection", "Proxy-Authorization",
    "Proxy-Authenticate",  "TE",                 "Trailer",          "Upgrade"};

// Fields a script may use to ask for another method than the one it sent.
inline constexpr std::string_view method_override_fields[] = {"X-HTTP-Method-Override",
                                                              "X-HTTP-Method", "X-Method-Override"};

namespace detail {
// Whether the words at `a` and `b` are equal but for the case of their letters: where they
// differ, only in the case bit, and b has a letter.
template <class word>
bool iequals_word(const char* a, const char* b) {
  word x, y;
  std::memcpy(&x, a, sizeof x);
  std::memcpy(&y, b, sizeof y);
  constexpr word ones = static_cast<word>(~word{0}) / 0xff;
  // Most words are equal as they are, or differ in more than case bits.
  const word diff = x ^ y;
  if (diff == 0) return true;
  if ((diff & ~(ones * 0x20)) != 0) return false;
  const word t = (y | ones * 0x20) & ones * 0x7f;  // b's bytes in lower case, top bit clear
  const word letters =
      (t + ones * (0x80 - 'a')) & ~(t + ones * (0x80 - 'z' - 1)) & ~y & ones * 0x80;
  return (diff & ~(letters >> 2)) == 0;
}
}  // namespace detail

// As beast::iequals (ASCII letters in any case, any other byte as it is), but inline and a
// word at a time: the writers compare names of the header with the gateway's own.
inline bool iequals_ascii(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const char *x = a.data(), *y = b.data();
  if (n >= 8) {
    // Whole words from the start, the last one ending with the name.
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if (!detail::iequals_word<std::uint64_t>(x + i, y + i)) return false;
    return detail::iequals_word<std::uint64_t>(x + n - 8, y + n - 8);
  }
  if (n >= 4)
    return detail::iequals_word<std::uint32_t>(x, y) &&
           detail::iequals_word<std::uint32_t>(x + n - 4, y + n - 4);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(x[i]), d = static_cast<unsigned char>(y[i]);
    // Otherwise equal only if they differ in the case bit alone and are letters.
    if (c != d && ((c ^ d) != 0x20 || static_cast<unsigned char>((c | 0x20) - 'a') > 'z' - 'a'))
      return false;
  }
  return true;
}

// A name known at compile time, for iequals_name.
template <std::size_t n>
struct fixed_name {
  char text[n];
  constexpr fixed_name(const char (&s)[n + 1]) { std::copy_n(s, n, text); }
  constexpr explicit fixed_name(std::string_view s) { std::copy_n(s.data(), n, text); }
};
template <std::size_t n>
fixed_name(const char (&)[n]) -> fixed_name<n - 1>;

namespace detail {
// `name`'s bytes from `at` as a word read from memory, with the case bit set on its letters
// (case_bits: those bits alone).
template <class word, std::size_t n>
constexpr word name_word(const fixed_name<n>& name, std::size_t at, bool case_bits) {
  word w = 0;
  for (std::size_t i = 0; i < sizeof(word); ++i) {
    const auto c = static_cast<unsigned char>(name.text[at + i]);
    const bool letter = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
    const word b = case_bits ? (letter ? 0x20 : 0) : (letter ? c | 0x20 : c);
    w |= b << 8 * (std::endian::native == std::endian::little ? i : sizeof(word) - 1 - i);
  }
  return w;
}

// The words of `name` at the offsets iequals_words reads: whole words from the start, the
// last one ending with the name (overlapping the one before).
template <class word, std::size_t n>
constexpr std::size_t word_at(std::size_t k) {
  constexpr std::size_t count = (n + sizeof(word) - 1) / sizeof(word);
  return k + 1 < count ? k * sizeof(word) : n - sizeof(word);
}

// iequals_name's comparison: each word of `a` with its case bits set as the name's.
template <class word, fixed_name name>
bool iequals_words(const char* a) {
  constexpr std::size_t n = sizeof(name.text), count = (n + sizeof(word) - 1) / sizeof(word);
  constexpr auto words = [](bool case_bits) {
    std::array<word, count> w{};
    for (std::size_t k = 0; k < count; ++k)
      w[k] = name_word<word>(name, word_at<word, n>(k), case_bits);
    return w;
  };
  constexpr std::array<word, count> case_bits = words(true), lower = words(false);
  for (std::size_t k = 0; k < count; ++k) {
    word x;
    std::memcpy(&x, a + word_at<word, n>(k), sizeof x);
    if ((x | case_bits[k]) != lower[k]) return false;
  }
  return true;
}
}  // namespace detail

// iequals_ascii(a, name), a word at a time with the words and case bits of `name` made at
// compile time: the recognisers (simple_request.hpp) compare a few names a field.
template <fixed_name name>
bool iequals_name(std::string_view a) {
  constexpr std::size_t n = sizeof(name.text);
  if (a.size() != n) return false;
  if constexpr (n >= 8) return detail::iequals_words<std::uint64_t, name>(a.data());
  else if constexpr (n >= 4) return detail::iequals_words<std::uint32_t, name>(a.data());
  else return iequals_ascii(a, std::string_view(name.text, n));
}

// Whether `name` (any case) is one of `names`: first by its length, which most names fail.
template <const auto& names>
bool is_one_of(std::string_view name) {
  constexpr std::uint64_t lengths = [] {
    std::uint64_t bits = 0;
    for (auto n : names) bits |= std::uint64_t{1} << (n.size() & 63);
    return bits;
  }();
  // (Modulo 64: a longer name that passes is compared in full.)
  if ((lengths >> (name.size() & 63) & 1) == 0) return false;
  return [&name]<std::size_t... i>(std::index_sequence<i...>) {
    return (iequals_name<fixed_name<names[i].size()>(names[i])>(name) || ...);
  }(std::make_index_sequence<std::size(names)>{});
}

// Whether `name` (any case) is one of hop_by_hop_fields / method_override_fields.
inline bool is_hop_by_hop(std::string_view name) { return is_one_of<hop_by_hop_fields>(name); }
inline bool is_method_override(std::string_view name) {
  return is_one_of<method_override_fields>(name);
}

// Removes Connection and the fields it names, Keep-Alive, Proxy-*, TE, Trailer, Upgrade.
// Transfer-Encoding and Content-Length stay: the serializer frames the body from them.
void strip_hop_by_hop(http::fields& fields);

// X-HTTP-Method-Override, X-HTTP-Method, X-Method-Override.
bool has_method_override(const http::fields& fields);

// Removes every field that could carry a client token or an override.
void strip_client_credentials(http::fields& fields);

}  // namespace almagate
