#include "proxy/simple_request.hpp"

#include <cstdint>

#include "proxy/headers.hpp"

namespace almagate {

using namespace simple_fields;

bool recognise_simple_request(std::string_view header, std::size_t max_header_bytes,
                              simple_request& r) {
  if (header.size() > max_header_bytes) return false;
  r.header_bytes = header.size();
  r.has_method_override = false;
  r.accept = r.host = {};
  r.authorization_count = r.field_count = 0;
  // The request line's scans stop at the header's last LF (neither a capital, a target
  // character nor a space); only the version is read past a bound checked first.
  const std::size_t last_lf = header.rfind('\n');
  if (last_lf == std::string_view::npos) return false;
  const char* const begin = header.data();
  const char* const end = begin + last_lf + 1;
  const char* p = begin;
  while (*p >= 'A' && *p <= 'Z') ++p;
  if (p == begin || *p != ' ') return false;
  r.method = {begin, static_cast<std::size_t>(p - begin)};
  const char* const target = ++p;
  p = skip_visible(p, end);
  if (p == target || *p != ' ') return false;
  r.target = {target, static_cast<std::size_t>(p - target)};
  ++p;
  // The version, then the line's CRLF.
  if (end - p < 10 || std::memcmp(p, "HTTP/1.", 7) != 0 || p[8] != '\r' || p[9] != '\n')
    return false;
  if (p[7] == '1') r.version = 11;
  else if (p[7] == '0') r.version = 10;
  else return false;

  int connections = 0;
  connection_tokens says;
  bool has_host = false, has_accept = false;
  // Each name is compared only with the names of its length.
  const bool plain = scan(header, static_cast<std::size_t>(p + 10 - begin), [&](field f) {
    if (r.field_count == simple_request::max_fields) return false;
    const std::string_view name = f.name;
    switch (name.size()) {
      case 4:
        if (iequals_name<"Host">(name)) {
          if (!has_host) r.host = f.value;
          has_host = true;
          f.replaced = true;
        }
        break;
      case 6:
        if (iequals_name<"Expect">(name)) return false;
        if (iequals_name<"Accept">(name)) {
          if (!has_accept) r.accept = f.value;
          has_accept = true;
        }
        break;
      case 10:
        if (iequals_name<"Connection">(name)) {
          auto read = read_connection(f.value);
          if (!read || ++connections > 1) return false;
          says = *read;
        }
        break;
      case 13:
        if (iequals_name<"Authorization">(name)) {
          if (r.authorization_count == simple_request::max_authorizations) return false;
          r.authorization[r.authorization_count++] = f.value;
          f.replaced = true;
        }
        break;
      case 14:
        // A body (or a length Beast would refuse) goes to Beast's parser.
        if (iequals_name<"Content-Length">(name) && f.value != "0") return false;
        break;
      case 16:
        if (iequals_name<"Proxy-Connection">(name)) return false;
        break;
      case 17:
        if (iequals_name<"Transfer-Encoding">(name)) return false;
        break;
    }
    if (is_method_override(name)) r.has_method_override = f.replaced = true;
    f.hop_by_hop = is_hop_by_hop(name);
    r.fields.put(r.field_count++, f);
    return true;
  });
  if (!plain) return false;
  // As Beast's keep_alive(): HTTP/1.1 unless it says close, HTTP/1.0 if it says keep-alive.
  r.keep_alive = r.version == 11 ? !says.close : says.keep_alive;
  return true;
}

void write_forwarded_request_header(const simple_request& r, std::string_view target,
                                    std::string_view authorization, std::string_view host,
                                    std::string& out) {
  static_assert(simple_request::max_fields <= 64);
  constexpr std::string_view version = " HTTP/1.1\r\n", authorization_name = "Authorization: ",
                             host_name = "\r\nHost: ", blank_line = "\r\n\r\n";
  std::size_t size = r.method.size() + 1 + target.size() + version.size() +
                     authorization_name.size() + authorization.size() + host_name.size() +
                     host.size() + blank_line.size();
  std::uint64_t kept = 0;
  for (std::size_t i = 0; i < r.field_count; ++i) {
    const field& f = r.fields[i];
    if (f.hop_by_hop || f.replaced) continue;
    kept |= std::uint64_t{1} << i;
    size += header_writer::field_size(f.name, f.value);
  }

  const std::size_t at = out.size();
  // (Reserved first: into an empty string that allocates without resize's general path.)
  out.reserve(at + size);
  out.resize(at + size);
  header_writer w(out.data() + at);
  w.put(r.method);
  w.put(" ");
  w.put(target);
  w.put(version);
  for (std::size_t i = 0; kept != 0; ++i, kept >>= 1)
    if (kept & 1) w.field(r.fields[i]);
  w.put(authorization_name);
  w.put(authorization);
  w.put(host_name);
  w.put(host);
  w.put(blank_line);
}

}  // namespace almagate
