#include "proxy/simple_request.hpp"

#include "proxy/headers.hpp"

namespace almagate {

using namespace simple_fields;

namespace {

// Fields the forwarded header does not carry from the script.
bool is_replaced(std::string_view name) {
  return beast::iequals(name, "Authorization") || beast::iequals(name, "Host") ||
         is_method_override(name);
}

}  // namespace

bool recognise_simple_request(std::string_view header, std::size_t max_header_bytes,
                              simple_request& r) {
  if (header.size() > max_header_bytes) return false;
  r.header_bytes = header.size();
  r.has_method_override = false;
  r.accept = r.host = {};
  r.authorization_count = r.field_count = 0;
  const std::size_t line_end = header.find("\r\n");
  const std::string_view line = header.substr(0, line_end);
  std::size_t i = 0;
  while (i < line.size() && line[i] >= 'A' && line[i] <= 'Z') ++i;
  if (i == 0 || i >= line.size() || line[i] != ' ') return false;
  r.method = line.substr(0, i);
  const std::size_t target_at = ++i;
  while (i < line.size() && line[i] > ' ' && line[i] < 0x7f) ++i;
  if (i == target_at || i >= line.size() || line[i] != ' ') return false;
  r.target = line.substr(target_at, i - target_at);
  const std::string_view version = line.substr(i + 1);
  if (version == "HTTP/1.1") r.version = 11;
  else if (version == "HTTP/1.0") r.version = 10;
  else return false;

  int connections = 0;
  connection_tokens says;
  bool has_host = false, has_accept = false;
  const bool plain = scan(header, line_end + 2, [&](std::string_view name, std::string_view value) {
    if (r.field_count == simple_request::max_fields) return false;
    r.fields[r.field_count++] = {name, value, is_hop_by_hop(name)};
    if (beast::iequals(name, "Content-Length")) {
      // A body (or a length Beast would refuse) goes to Beast's parser.
      if (value != "0") return false;
    } else if (beast::iequals(name, "Transfer-Encoding") ||
               beast::iequals(name, "Expect") ||
               beast::iequals(name, "Proxy-Connection")) {
      return false;
    } else if (beast::iequals(name, "Connection")) {
      auto read = read_connection(value);
      if (!read || ++connections > 1) return false;
      says = *read;
    } else if (beast::iequals(name, "Authorization")) {
      if (r.authorization_count == simple_request::max_authorizations) return false;
      r.authorization[r.authorization_count++] = value;
    } else if (beast::iequals(name, "Host")) {
      if (!has_host) r.host = value;
      has_host = true;
    } else if (beast::iequals(name, "Accept")) {
      if (!has_accept) r.accept = value;
      has_accept = true;
    } else if (is_method_override(name)) {
      r.has_method_override = true;
    }
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
  auto kept = [](const field& f) { return !f.hop_by_hop && !is_replaced(f.name); };
  constexpr std::string_view version = " HTTP/1.1\r\n", authorization_name = "Authorization: ",
                             host_name = "\r\nHost: ", blank_line = "\r\n\r\n";
  std::size_t size = r.method.size() + 1 + target.size() + version.size() +
                     authorization_name.size() + authorization.size() + host_name.size() +
                     host.size() + blank_line.size();
  for (std::size_t i = 0; i < r.field_count; ++i)
    if (kept(r.fields[i])) size += header_writer::field_size(r.fields[i].name, r.fields[i].value);

  const std::size_t at = out.size();
  out.resize(at + size);
  header_writer w(out.data() + at);
  w.put(r.method);
  w.put(" ");
  w.put(target);
  w.put(version);
  for (std::size_t i = 0; i < r.field_count; ++i)
    if (kept(r.fields[i])) w.field(r.fields[i].name, r.fields[i].value);
  w.put(authorization_name);
  w.put(authorization);
  w.put(host_name);
  w.put(host);
  w.put(blank_line);
}

}  // namespace almagate
