#pragma once
// What simple_request and simple_response share: the characters of HTTP/1.1 header lines and
// a scan of the field lines that accepts only what Beast's parser reads the same way (no
// folding, no control characters, a token before each colon).

#include <array>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string_view>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "proxy/headers.hpp"
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
inline constexpr bool is_text(unsigned char c) { return c == '\t' || (c >= ' ' && c != 0x7f); }
inline constexpr std::array<bool, 256> text_chars = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = is_text(static_cast<unsigned char>(c));
  return t;
}();

inline bool is_space(char c) { return c == ' ' || c == '\t'; }

// The first byte from `p` that is not a token character (skip_token), not visible ASCII
// (skip_visible) or not text (skip_text); [p, end) must hold one. Sixteen bytes a step while
// that many are left: most names and values are a step or two.
inline const char* skip_token(const char* p, const char* end) {
#if defined(__SSE2__)
  // Sixteen bytes a step while they are letters, digits and '-' (what names are made of);
  // from the first other byte on, one at a time.
  for (; end - p >= 16; p += 16) {
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    auto in = [](__m128i x, char low, char high) {  // (signed: 0x80 and up are below any range)
      return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(static_cast<char>(low - 1))),
                           _mm_cmplt_epi8(x, _mm_set1_epi8(static_cast<char>(high + 1))));
    };
    const __m128i letter = in(_mm_or_si128(c, _mm_set1_epi8(0x20)), 'a', 'z');
    const __m128i usual = _mm_or_si128(_mm_or_si128(letter, in(c, '0', '9')),
                                       _mm_cmpeq_epi8(c, _mm_set1_epi8('-')));
    if (const int other = ~_mm_movemask_epi8(usual) & 0xffff) {
      p += __builtin_ctz(other);
      break;
    }
  }
#endif
  (void)end;
  while (token_chars[static_cast<unsigned char>(*p)]) ++p;
  return p;
}

// (The characters of a request target: visible ASCII.)
inline const char* skip_visible(const char* p, const char* end) {
#if defined(__SSE2__)
  for (; end - p >= 16; p += 16) {
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // (Signed compare: 0x80 and up are below the space.)
    const __m128i visible = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8(' ')),
                                          _mm_cmplt_epi8(c, _mm_set1_epi8(0x7f)));
    if (const int bad = ~_mm_movemask_epi8(visible) & 0xffff) return p + __builtin_ctz(bad);
  }
#endif
  (void)end;
  while (*p > ' ' && *p < 0x7f) ++p;
  return p;
}

inline const char* skip_text(const char* p, const char* end) {
#if defined(__SSE2__)
  for (; end - p >= 16; p += 16) {
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Controls are 0x00-0x1f (obs-text, 0x80 and up, compares below zero) and 0x7f; tab is text.
    const __m128i control = _mm_andnot_si128(_mm_cmplt_epi8(c, _mm_setzero_si128()),
                                             _mm_cmplt_epi8(c, _mm_set1_epi8(' ')));
    const __m128i bad =
        _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8('\t')), control),
                     _mm_cmpeq_epi8(c, _mm_set1_epi8(0x7f)));
    if (const int m = _mm_movemask_epi8(bad)) return p + __builtin_ctz(m);
  }
#endif
  (void)end;
  while (text_chars[static_cast<unsigned char>(*p)]) ++p;
  return p;
}

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
    if (iequals_name<"close">(token)) says.close = true;
    else if (iequals_name<"keep-alive">(token)) says.keep_alive = true;
    else if (!token.empty()) return std::nullopt;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return says;
}

// A field kept for writing out again.
struct field {
  std::string_view name;
  std::string_view value;
  bool hop_by_hop = false;
  bool replaced = false;    // (requests) Authorization, Host or a method override
  bool whole_line = false;  // its line in the header is `name: value` CRLF, copied as it is

  // With whole_line: the line in the header, CRLF included.
  std::string_view line() const { return {name.data(), name.size() + value.size() + 4}; }
};

// Room for up to `n` fields, left uninitialised: only the first ones put there are read. (A
// recognised message is made for every call; zeroing room for 32 fields cost more than
// reading the few it has.)
template <std::size_t n>
class field_room {
 public:
  field_room() {}  // NOLINT: the room stays uninitialised on purpose
  void put(std::size_t i, const field& f) { std::construct_at(at(i), f); }
  const field& operator[](std::size_t i) const {
    return *std::launder(reinterpret_cast<const field*>(bytes_) + i);
  }

 private:
  field* at(std::size_t i) { return reinterpret_cast<field*>(bytes_) + i; }
  static_assert(std::is_trivially_destructible_v<field>);
  alignas(field) std::byte bytes_[n * sizeof(field)];
};

// Calls visit(f) for each field line of `header` from `at` (a line's start) to the blank line,
// f.value without the whitespace around it. False at the first line that is not a plain
// field, or when visit returns false.
template <class Visit>
bool scan(std::string_view header, std::size_t at, Visit visit) {
  // The scans below stop at the header's last LF, neither a token nor text character, so
  // only the lookahead past a line's CR needs its bound checked.
  const std::size_t last_lf = header.rfind('\n');
  if (last_lf == std::string_view::npos || last_lf < at) return false;
  const char* p = header.data() + at;
  const char* const end = header.data() + last_lf + 1;
  for (;;) {
    if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') return true;
    const char* const name = p;
    p = skip_token(p, end);
    if (p == name || *p != ':') return false;
    const char* const colon = p++;
    p = skip_text(p, end);
    // The line ends at its first CR, which must be the CRLF's; a next line that starts with a
    // space or tab continues it (obsolete folding).
    if (end - p < 3 || p[0] != '\r' || p[1] != '\n' || is_space(p[2])) return false;
    // (The CR stops the first loop.)
    const char *v = colon + 1, *w = p;
    while (is_space(*v)) ++v;
    while (w > v && is_space(w[-1])) --w;
    field f;
    f.name = {name, static_cast<std::size_t>(colon - name)};
    f.value = {v, static_cast<std::size_t>(w - v)};
    f.whole_line = colon[1] == ' ' && v == colon + 2 && w == p;
    if (!visit(f)) return false;
    p += 2;
  }
}

// Copies pieces of a header into room already made for them (the writers size the header
// first: a few hundred bytes in a dozen pieces). Lines that follow each other in the received
// header go in one copy; the last piece must be put(), which writes what is pending.
class header_writer {
 public:
  explicit header_writer(char* at) : at_(at) {}
  void put(std::string_view text) {
    flush();
    std::memcpy(at_, text.data(), text.size());
    at_ += text.size();
  }
  // Bytes of the received header.
  void copy(std::string_view bytes) {
    if (run_ + run_size_ != bytes.data()) {
      flush();
      run_ = bytes.data();
    }
    run_size_ += bytes.size();
  }
  void field(std::string_view name, std::string_view value) {
    put(name);
    put(": ");
    put(value);
    put("\r\n");
  }
  void field(const simple_fields::field& f) {
    if (f.whole_line) copy(f.line());
    else field(f.name, f.value);
  }
  static std::size_t field_size(std::string_view name, std::string_view value) {
    return name.size() + value.size() + 4;
  }

 private:
  void flush() {
    if (run_size_ == 0) return;
    std::memcpy(at_, run_, run_size_);
    at_ += run_size_;
    run_size_ = 0;
  }

  char* at_;
  const char* run_ = nullptr;
  std::size_t run_size_ = 0;
};

}  // namespace almagate::simple_fields
