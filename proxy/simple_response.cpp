#include "proxy/simple_response.hpp"

#include <array>
#include <cstring>

namespace almagate {

namespace {

constexpr std::size_t max_header_bytes = 64 * 1024;  // as the Beast parser's limit

// RFC 9110 tchar: the characters of a field name.
constexpr std::array<bool, 256> token_chars = [] {
  std::array<bool, 256> t{};
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  return t;
}();

// A field value's or reason phrase's characters: visible ASCII, space, tab and obs-text.
bool is_text(unsigned char c) { return c == '\t' || (c >= ' ' && c != 0x7f); }

bool is_space(char c) { return c == ' ' || c == '\t'; }

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x != y && (x | 0x20) != (y | 0x20)) return false;
    if (x != y && ((x | 0x20) < 'a' || (x | 0x20) > 'z')) return false;
  }
  return true;
}

// The hop-by-hop fields strip_hop_by_hop takes out (headers.cpp).
constexpr std::string_view hop_by_hop[] = {"Connection",          "Keep-Alive",
                                           "Proxy-Connection",    "Proxy-Authorization",
                                           "Proxy-Authenticate",  "TE",
                                           "Trailer",             "Upgrade"};

bool is_hop_by_hop(std::string_view name) {
  for (auto h : hop_by_hop)
    if (equals_ignoring_case(name, h)) return true;
  return false;
}

// Connection's value, if it names nothing but close and keep-alive: whether it says close.
std::optional<bool> connection_says_close(std::string_view value) {
  bool close = false;
  while (!value.empty()) {
    auto comma = value.find(',');
    auto token = value.substr(0, comma);
    while (!token.empty() && is_space(token.front())) token.remove_prefix(1);
    while (!token.empty() && is_space(token.back())) token.remove_suffix(1);
    if (equals_ignoring_case(token, "close")) close = true;
    else if (!token.empty() && !equals_ignoring_case(token, "keep-alive")) return std::nullopt;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return close;
}

}  // namespace

std::size_t header_end(std::string_view bytes) {
  auto at = bytes.find("\r\n\r\n");
  return at == std::string_view::npos ? at : at + 4;
}

std::optional<simple_response> recognise_simple_response(std::string_view header) {
  if (header.size() > max_header_bytes || !header.starts_with("HTTP/1.1 ") || header.size() < 17)
    return std::nullopt;
  simple_response r;
  r.header_bytes = header.size();
  for (std::size_t i = 9; i < 12; ++i) {
    if (header[i] < '0' || header[i] > '9') return std::nullopt;
    r.status = r.status * 10 + static_cast<unsigned>(header[i] - '0');
  }
  if (r.status < 200 || r.status > 299 || r.status == 204 || r.status == 205 || header[12] != ' ')
    return std::nullopt;
  const std::size_t line_end = header.find("\r\n");
  if (line_end <= 13) return std::nullopt;  // no reason phrase
  for (std::size_t i = 13; i < line_end; ++i)
    if (!is_text(static_cast<unsigned char>(header[i]))) return std::nullopt;
  r.status_line = header.substr(0, line_end);

  int content_lengths = 0, connections = 0;
  std::size_t at = line_end + 2;
  while (header.compare(at, 2, "\r\n") != 0) {
    std::size_t i = at;
    while (i < header.size() && token_chars[static_cast<unsigned char>(header[i])]) ++i;
    if (i == at || i >= header.size() || header[i] != ':') return std::nullopt;
    const std::string_view name = header.substr(at, i - at);
    const std::size_t end = header.find("\r\n", i);
    for (std::size_t j = i + 1; j < end; ++j)
      if (!is_text(static_cast<unsigned char>(header[j]))) return std::nullopt;
    // A line that starts with a space or tab continues the last (obsolete folding).
    if (is_space(header[end + 2])) return std::nullopt;
    std::size_t v = i + 1, w = end;
    while (v < w && is_space(header[v])) ++v;
    while (w > v && is_space(header[w - 1])) --w;
    const std::string_view value = header.substr(v, w - v);
    if (r.field_count == simple_response::max_fields) return std::nullopt;
    r.fields[r.field_count++] = {name, value, is_hop_by_hop(name)};
    if (equals_ignoring_case(name, "Content-Length")) {
      if (++content_lengths > 1 || value.empty() || value.size() > 15) return std::nullopt;
      for (char c : value) {
        if (c < '0' || c > '9') return std::nullopt;
        r.content_length = r.content_length * 10 + static_cast<unsigned>(c - '0');
      }
    } else if (equals_ignoring_case(name, "Transfer-Encoding") ||
               equals_ignoring_case(name, "Proxy-Connection")) {
      return std::nullopt;  // (Beast checks Proxy-Connection as a token list)
    } else if (equals_ignoring_case(name, "Connection")) {
      // (Beast's keep_alive() reads the first Connection field alone: leave repeats to it.)
      auto close = connection_says_close(value);
      if (!close || ++connections > 1) return std::nullopt;
      if (*close) r.keep_alive = false;
    } else if (equals_ignoring_case(name, "X-Exl-Api-Remaining")) {
      r.exl_remaining = value;
    }
    at = end + 2;
  }
  if (content_lengths != 1) return std::nullopt;
  return r;
}

void write_simple_response_header(const simple_response& r, std::span<const extra_field> replaced,
                                  bool close, std::span<const extra_field> added,
                                  std::string& out) {
  // Sized first, then copied: a header is a few hundred bytes in a dozen pieces.
  auto kept = [&](const simple_response::field& f) {
    if (f.hop_by_hop) return false;
    for (const auto& x : replaced)
      if (equals_ignoring_case(f.name, x.name)) return false;
    return true;
  };
  constexpr std::string_view close_field = "Connection: close\r\n";
  std::size_t size = r.status_line.size() + 4 + (close ? close_field.size() : 0);
  for (std::size_t i = 0; i < r.field_count; ++i)
    if (kept(r.fields[i])) size += r.fields[i].name.size() + r.fields[i].value.size() + 4;
  for (const auto& x : added) size += x.name.size() + x.value.size() + 4;

  std::size_t at = out.size();
  out.resize(at + size);
  char* p = out.data() + at;
  auto put = [&p](std::string_view text) {
    std::memcpy(p, text.data(), text.size());
    p += text.size();
  };
  auto put_field = [&](std::string_view name, std::string_view value) {
    put(name);
    put(": ");
    put(value);
    put("\r\n");
  };
  put(r.status_line);
  put("\r\n");
  for (std::size_t i = 0; i < r.field_count; ++i)
    if (kept(r.fields[i])) put_field(r.fields[i].name, r.fields[i].value);
  if (close) put(close_field);
  for (const auto& x : added) put_field(x.name, x.value);
  put("\r\n");
}

}  // namespace almagate
