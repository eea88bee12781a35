#include "proxy/simple_response.hpp"

#include <cstdint>

#include "proxy/headers.hpp"
#include "proxy/simple_fields.hpp"

namespace almagate {

using namespace simple_fields;

namespace {
constexpr std::size_t max_header_bytes = 64 * 1024;  // as the Beast parser's limit
}  // namespace

std::size_t header_end(std::string_view bytes) {
  auto at = bytes.find("\r\n\r\n");
  return at == std::string_view::npos ? at : at + 4;
}

bool recognise_simple_response(std::string_view header, simple_response& r) {
  if (header.size() > max_header_bytes || !header.starts_with("HTTP/1.1 ") || header.size() < 17)
    return false;
  r.header_bytes = header.size();
  r.status = 0;
  r.content_length = 0;
  r.keep_alive = true;
  r.exl_remaining = {};
  r.field_count = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (header[i] < '0' || header[i] > '9') return false;
    r.status = r.status * 10 + static_cast<unsigned>(header[i] - '0');
  }
  if (r.status < 200 || r.status > 299 || r.status == 204 || r.status == 205 || header[12] != ' ')
    return false;
  // The reason phrase: text up to the line's first CR, which must be the CRLF's (a bound
  // checked for the LF: the last byte may be the CR).
  std::size_t line_end = 13;
  while (line_end < header.size() && text_chars[static_cast<unsigned char>(header[line_end])])
    ++line_end;
  if (line_end == 13 || header.size() - line_end < 2 || header[line_end] != '\r' ||
      header[line_end + 1] != '\n')
    return false;
  r.status_line = header.substr(0, line_end);

  int content_lengths = 0, connections = 0;
  // Each name is compared only with the names of its length.
  const bool plain = scan(header, line_end + 2, [&](field f) {
    if (r.field_count == simple_response::max_fields) return false;
    const std::string_view name = f.name, value = f.value;
    switch (name.size()) {
      case 10:
        if (iequals_name<"Connection">(name)) {
          // (Beast's keep_alive() reads the first Connection field alone: leave repeats to it.)
          auto says = read_connection(value);
          if (!says || ++connections > 1) return false;
          if (says->close) r.keep_alive = false;
        }
        break;
      case 14:
        if (iequals_name<"Content-Length">(name)) {
          if (++content_lengths > 1 || value.empty() || value.size() > 15) return false;
          for (char c : value) {
            if (c < '0' || c > '9') return false;
            r.content_length = r.content_length * 10 + static_cast<unsigned>(c - '0');
          }
        }
        break;
      case 16:
        // (Beast checks Proxy-Connection as a token list)
        if (iequals_name<"Proxy-Connection">(name)) return false;
        break;
      case 17:
        if (iequals_name<"Transfer-Encoding">(name)) return false;
        break;
      case 19:
        if (iequals_name<"X-Exl-Api-Remaining">(name)) r.exl_remaining = value;
        break;
    }
    f.hop_by_hop = is_hop_by_hop(name);
    r.fields.put(r.field_count++, f);
    return true;
  });
  if (!plain) return false;
  if (content_lengths != 1) return false;
  return true;
}

void write_simple_response_header(const simple_response& r, std::span<const extra_field> replaced,
                                  bool close, std::span<const extra_field> added,
                                  std::string& out) {
  static_assert(simple_response::max_fields <= 64);
  constexpr std::string_view close_field = "Connection: close\r\n";
  std::size_t size = r.status_line.size() + 4 + (close ? close_field.size() : 0);
  // A name is compared with the replaced ones only if one of them has its length (modulo 64).
  std::uint64_t replaced_lengths = 0;
  for (const auto& x : replaced) replaced_lengths |= std::uint64_t{1} << (x.name.size() & 63);
  auto is_replaced = [&](std::string_view name) {
    if ((replaced_lengths >> (name.size() & 63) & 1) == 0) return false;
    for (const auto& x : replaced)
      if (iequals_ascii(name, x.name)) return true;
    return false;
  };
  std::uint64_t kept = 0;
  for (std::size_t i = 0; i < r.field_count; ++i) {
    const field& f = r.fields[i];
    if (f.hop_by_hop || is_replaced(f.name)) continue;
    kept |= std::uint64_t{1} << i;
    size += header_writer::field_size(f.name, f.value);
  }
  for (const auto& x : added) size += header_writer::field_size(x.name, x.value);

  const std::size_t at = out.size();
  // (Reserved first: into an empty string that allocates without resize's general path.)
  out.reserve(at + size);
  out.resize(at + size);
  header_writer w(out.data() + at);
  // The status line with its CRLF, which follows it in the header.
  w.copy({r.status_line.data(), r.status_line.size() + 2});
  for (std::size_t i = 0; kept != 0; ++i, kept >>= 1)
    if (kept & 1) w.field(r.fields[i]);
  if (close) w.put(close_field);
  for (const auto& x : added) w.field(x.name, x.value);
  w.put("\r\n");
}

}  // namespace almagate
