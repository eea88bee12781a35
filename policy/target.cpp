#include "policy/target.hpp"

#include <array>

namespace almagate {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_ascii_lower_equal(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Decodes %XX escapes into `out`; false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = hex_value(in[i + 1]);
    int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

refusal invalid(std::string message) {
  return refusal{400, "INVALID_REQUEST", std::move(message)};
}

refusal not_routed(std::string message) {
  return refusal{404, "ROUTING_ERROR", std::move(message)};
}

// A byte that must never appear raw in a target we forward.
bool forbidden_raw(unsigned char c) {
  return c <= 0x20 || c >= 0x7f || c == '\\' || c == '#' || c == '"' || c == '<' || c == '>' ||
         c == '`' || c == '{' || c == '}' || c == '|' || c == '^';
}

// A byte that must never appear percent-encoded in the path: it would change the path's
// structure for a server that decodes before routing.
bool forbidden_encoded_in_path(unsigned char c) {
  return c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == '.' || c == '%' || c == ';' ||
         c == '?' || c == '#';
}

// True when an escape in a well-formed segment encodes a byte from forbidden_encoded_in_path.
// Raw bytes are not looked at: a raw '.' beside an escape ("jdoe%40example.edu") is fine.
bool has_forbidden_escape(std::string_view segment) {
  for (std::size_t i = 0; i + 2 < segment.size(); ++i) {
    if (segment[i] != '%') continue;
    int c = hex_value(segment[i + 1]) * 16 + hex_value(segment[i + 2]);
    if (forbidden_encoded_in_path(static_cast<unsigned char>(c))) return true;
    i += 2;
  }
  return false;
}

// Shortest-form UTF-8 only: overlong forms such as %C0%AE decode to '.' in lax decoders.
bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    // n: continuation bytes; cp: the code point being assembled.
    std::size_t n = c >= 0xc2 && c <= 0xdf   ? 1
                    : c >= 0xe0 && c <= 0xef ? 2
                    : c >= 0xf0 && c <= 0xf4 ? 3
                                             : 0;
    if (n == 0) return false;
    unsigned cp = c & (0x7fu >> (n + 1));
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    if (n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return false;
    if (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) return false;
    i += n + 1;
  }
  return true;
}

bool is_secret_param(std::string_view decoded_name) {
  return is_ascii_lower_equal(decoded_name, "password") ||
         is_ascii_lower_equal(decoded_name, "apikey");
}

}  // namespace

target_result parse_target(std::string_view target) {
  target_result result;
  if (target.empty() || target.front() != '/')
    return {std::nullopt, invalid("The request target must be a path starting with '/'.")};
  for (unsigned char c : target)
    if (forbidden_raw(c))
      return {std::nullopt, invalid("The request target holds a character that is not allowed.")};

  auto question = target.find('?');
  std::string_view path = target.substr(0, question);
  std::string_view query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);

  // Split the path; check each segment, raw and decoded.
  std::vector<std::string_view> segments;
  std::string decoded;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    auto end = slash == std::string_view::npos ? path.size() : slash;
    std::string_view segment = path.substr(start, end - start);
    bool last = slash == std::string_view::npos;
    if (segment.empty() && !last)
      return {std::nullopt, invalid("The request path holds an empty segment ('//').")};
    if (segment == "." || segment == "..")
      return {std::nullopt, invalid("The request path holds a dot segment.")};
    if (segment.find(';') != std::string_view::npos)
      return {std::nullopt, invalid("The request path holds a path parameter (';').")};
    if (!percent_decode(segment, decoded))
      return {std::nullopt, invalid("The request path holds a malformed percent-escape.")};
    if (has_forbidden_escape(segment))
      return {std::nullopt,
              invalid("The request path holds an encoded '/', '.', '\\', '%', ';' or "
                      "control character.")};
    if (!is_valid_utf8(decoded))
      return {std::nullopt, invalid("The request path holds an escape that is not UTF-8.")};
    if (!segment.empty()) segments.push_back(segment);
    if (last) break;
    start = end + 1;
  }

  parsed_target out;
  std::size_t i = 0;
  if (!segments.empty() && segments[0] != "almaws") out.environment = segments[i++];
  if (segments.size() < i + 3 || segments[i] != "almaws" || segments[i + 1] != "v1")
    return {std::nullopt,
            not_routed("No API is routed at this path: use /almaws/v1/<area>/... or "
                       "/<environment>/almaws/v1/<area>/....")};
  out.segments_after_v1.assign(segments.begin() + static_cast<long>(i) + 2, segments.end());
  out.area_segment = out.segments_after_v1.front();

  // Rebuild the upstream target: the path without the environment prefix, the query without
  // apikey parameters.
  std::size_t path_start = out.environment.empty() ? 0 : out.environment.size() + 1;
  out.upstream_target.reserve(target.size());
  out.upstream_target.append(path.substr(path_start));
  bool first_param = true;
  bool seen_op = false;
  std::string name;
  std::size_t pos = 0;
  while (question != std::string_view::npos && pos <= query.size()) {
    auto amp = query.find('&', pos);
    auto end = amp == std::string_view::npos ? query.size() : amp;
    std::string_view param = query.substr(pos, end - pos);
    pos = end + 1;
    if (!param.empty()) {
      auto eq = param.find('=');
      std::string_view raw_name = param.substr(0, eq);
      std::string_view value =
          eq == std::string_view::npos ? std::string_view{} : param.substr(eq + 1);
      if (!percent_decode(raw_name, name) || !percent_decode(value, decoded))
        return {std::nullopt, invalid("The query holds a malformed percent-escape.")};
      if (is_ascii_lower_equal(name, "apikey")) {
        out.apikeys.push_back(value);
        continue;  // never forwarded
      }
      if (name == "op") {
        // An empty first op ("op=&op=auth") still counts: upstream may read either one.
        if (seen_op || eq == std::string_view::npos)
          return {std::nullopt, invalid("The query must hold at most one op parameter.")};
        seen_op = true;
        out.op = value;
      } else if (name == "format") {
        out.format = value;
      }
      out.upstream_target += first_param ? '?' : '&';
      out.upstream_target.append(param);
      first_param = false;
    }
    if (amp == std::string_view::npos) break;
  }
  out.log_target = redact_target(out.upstream_target);
  result.target = std::move(out);
  return result;
}

access access_needed(std::string_view method, const parsed_target& target) {
  if (method == "GET" || method == "HEAD") return access::read;
  if (method == "POST") {
    const auto& s = target.segments_after_v1;
    if (s.size() == 2 && s[0] == "users" && target.op == "auth") return access::read;
    if (s.size() == 2 && s[0] != "users" && s[1] == "test") return access::read;
    if (s.size() == 3 && s[0] == "users" && s[1] == "operation" && s[2] == "test")
      return access::read;
  }
  return access::read_write;
}

std::string redact_target(std::string_view target) {
  auto question = target.find('?');
  if (question == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, question + 1));
  std::string_view query = target.substr(question + 1);
  std::string name;
  bool first = true;
  std::size_t pos = 0;
  while (pos <= query.size()) {
    auto amp = query.find('&', pos);
    auto end = amp == std::string_view::npos ? query.size() : amp;
    std::string_view param = query.substr(pos, end - pos);
    if (!first) out += '&';
    first = false;
    auto eq = param.find('=');
    if (eq != std::string_view::npos && percent_decode(param.substr(0, eq), name) &&
        is_secret_param(name)) {
      out.append(param.substr(0, eq + 1)).append("REDACTED");
    } else {
      out.append(param);
    }
    if (amp == std::string_view::npos) break;
    pos = end + 1;
  }
  return out;
}

}  // namespace almagate
