#include "proxy/simple_response.hpp"

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
  const std::size_t line_end = header.find("\r\n");
  if (line_end <= 13) return false;  // no reason phrase
  for (std::size_t i = 13; i < line_end; ++i)
    if (!is_text(static_cast<unsigned char>(header[i]))) return false;
  r.status_line = header.substr(0, line_end);

  int content_lengths = 0, connections = 0;
  const bool plain = scan(header, line_end + 2, [&](std::string_view name, std::string_view value) {
    if (r.field_count == simple_response::max_fields) return false;
    r.fields[r.field_count++] = {name, value, is_hop_by_hop(name)};
    if (beast::iequals(name, "Content-Length")) {
      if (++content_lengths > 1 || value.empty() || value.size() > 15) return false;
      for (char c : value) {
        if (c < '0' || c > '9') return false;
        r.content_length = r.content_length * 10 + static_cast<unsigned>(c - '0');
      }
    } else if (beast::iequals(name, "Transfer-Encoding") ||
               beast::iequals(name, "Proxy-Connection")) {
      return false;  // (Beast checks Proxy-Connection as a token list)
    } else if (beast::iequals(name, "Connection")) {
      // (Beast's keep_alive() reads the first Connection field alone: leave repeats to it.)
      auto says = read_connection(value);
      if (!says || ++connections > 1) return false;
      if (says->close) r.keep_alive = false;
    } else if (beast::iequals(name, "X-Exl-Api-Remaining")) {
      r.exl_remaining = value;
    }
    return true;
  });
  if (!plain) return false;
  if (content_lengths != 1) return false;
  return true;
}

void write_simple_response_header(const simple_response& r, std::span<const extra_field> replaced,
                                  bool close, std::span<const extra_field> added,
                                  std::string& out) {
  auto kept = [&](const simple_fields::field& f) {
    if (f.hop_by_hop) return false;
    for (const auto& x : replaced)
      if (beast::iequals(f.name, x.name)) return false;
    return true;
  };
  constexpr std::string_view close_field = "Connection: close\r\n";
  std::size_t size = r.status_line.size() + 4 + (close ? close_field.size() : 0);
  for (std::size_t i = 0; i < r.field_count; ++i)
    if (kept(r.fields[i])) size += header_writer::field_size(r.fields[i].name, r.fields[i].value);
  for (const auto& x : added) size += header_writer::field_size(x.name, x.value);

  const std::size_t at = out.size();
  out.resize(at + size);
  header_writer w(out.data() + at);
  w.put(r.status_line);
  w.put("\r\n");
  for (std::size_t i = 0; i < r.field_count; ++i)
    if (kept(r.fields[i])) w.field(r.fields[i].name, r.fields[i].value);
  if (close) w.put(close_field);
  for (const auto& x : added) w.field(x.name, x.value);
  w.put("\r\n");
}

}  // namespace almagate
