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

bool has_escape(std::string_view s) { return s.find('%') != std::string_view::npos; }

// Decodes %XX escapes into `out`; false on a malformed escape. The text between escapes is
// copied in runs.
bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  std::size_t run = 0;
  for (auto i = in.find('%'); i != std::string_view::npos; i = in.find('%', run)) {
    if (i + 2 >= in.size()) return false;
    int hi = hex_value(in[i + 1]);
    int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.append(in.substr(run, i - run));
    out += static_cast<char>(hi * 16 + lo);
    run = i + 3;
  }
  out.append(in.substr(run));
  return true;
}

// True when percent_decode would accept `in`, without decoding it.
bool escapes_well_formed(std::string_view in) {
  for (auto i = in.find('%'); i != std::string_view::npos; i = in.find('%', i + 3))
    if (i + 2 >= in.size() || hex_value(in[i + 1]) < 0 || hex_value(in[i + 2]) < 0) return false;
  return true;
}

refusal invalid(std::string message) {
  return refusal{400, "INVALID_REQUEST", std::move(message)};
}

refusal not_routed(std::string message) {
  return refusal{404, "ROUTING_ERROR", std::move(message)};
}

// A byte that must never appear raw in a target we forward.
constexpr bool forbidden_raw(unsigned char c) {
  return c <= 0x20 || c >= 0x7f || c == '\\' || c == '#' || c == '"' || c == '<' || c == '>' ||
         c == '`' || c == '{' || c == '}' || c == '|' || c == '^';
}

// forbidden_raw of every byte value: the whole target is checked, one lookup a byte.
constexpr auto forbidden_raw_table = [] {
  std::array<bool, 256> table{};
  for (unsigned c = 0; c < table.size(); ++c)
    table[c] = forbidden_raw(static_cast<unsigned char>(c));
  return table;
}();

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

// The decoded name of a query parameter: `raw` itself when it holds no escape, else decoded
// into `scratch`. Empty optional on a malformed escape.
std::optional<std::string_view> decode_name(std::string_view raw, std::string& scratch) {
  if (!has_escape(raw)) return raw;
  if (!percent_decode(raw, scratch)) return std::nullopt;
  return scratch;
}

}  // namespace

target_result parse_target(std::string_view target) {
  target_result result;
  if (target.empty() || target.front() != '/')
    return {std::nullopt, invalid("The request target must be a path starting with '/'.")};
  for (unsigned char c : target)
    if (forbidden_raw_table[c])
      return {std::nullopt, invalid("The request target holds a character that is not allowed.")};

  auto question = target.find('?');
  std::string_view path = target.substr(0, question);
  std::string_view query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);

  // Split the path; check each segment, raw and decoded. All segments are gathered in
  // segments_after_v1; the environment, almaws and v1 are taken off the front below.
  parsed_target out;
  std::vector<std::string_view>& segments = out.segments_after_v1;
  segments.reserve(8);
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
    // Without an escape a segment decodes to itself, and its raw bytes (checked above) are ASCII.
    if (has_escape(segment)) {
      if (!percent_decode(segment, decoded))
        return {std::nullopt, invalid("The request path holds a malformed percent-escape.")};
      if (has_forbidden_escape(segment))
        return {std::nullopt,
                invalid("The request path holds an encoded '/', '.', '\\', '%', ';' or "
                        "control character.")};
      if (!is_valid_utf8(decoded))
        return {std::nullopt, invalid("The request path holds an escape that is not UTF-8.")};
    }
    if (!segment.empty()) segments.push_back(segment);
    if (last) break;
    start = end + 1;
  }

  std::size_t i = 0;
  if (!segments.empty() && segments[0] != "almaws") out.environment = segments[i++];
  if (segments.size() < i + 3 || segments[i] != "almaws" || segments[i + 1] != "v1")
    return {std::nullopt,
            not_routed("No API is routed at this path: use /almaws/v1/<area>/... or "
                       "/<environment>/almaws/v1/<area>/....")};
  segments.erase(segments.begin(), segments.begin() + static_cast<long>(i) + 2);
  out.area_segment = out.segments_after_v1.front();

  // Rebuild the upstream target: the path without the environment prefix, the query without
  // apikey parameters.
  std::size_t path_start = out.environment.empty() ? 0 : out.environment.size() + 1;
  out.upstream_target.reserve(target.size());
  out.upstream_target.append(path.substr(path_start));
  bool first_param = true;
  bool seen_op = false;
  bool secret_forwarded = false;  // a forwarded password=...: the log target must redact it
  std::string scratch;
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
      auto decoded_name = decode_name(raw_name, scratch);
      if (!decoded_name || !escapes_well_formed(value))
        return {std::nullopt, invalid("The query holds a malformed percent-escape.")};
      std::string_view name = *decoded_name;
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
      if (eq != std::string_view::npos && is_secret_param(name)) secret_forwarded = true;
      out.upstream_target += first_param ? '?' : '&';
      out.upstream_target.append(param);
      first_param = false;
    }
    if (amp == std::string_view::npos) break;
  }
  // redact_target changes only a secret parameter that has a value.
  out.log_target = secret_forwarded ? redact_target(out.upstream_target) : out.upstream_target;
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
  std::string out;
  out.reserve(target.size() + 16);
  out.append(target.substr(0, question + 1));
  std::string_view query = target.substr(question + 1);
  std::string scratch;
  bool first = true;
  std::size_t pos = 0;
  while (pos <= query.size()) {
    auto amp = query.find('&', pos);
    auto end = amp == std::string_view::npos ? query.size() : amp;
    std::string_view param = query.substr(pos, end - pos);
    if (!first) out += '&';
    first = false;
    auto eq = param.find('=');
    std::optional<std::string_view> name;
    if (eq != std::string_view::npos) name = decode_name(param.substr(0, eq), scratch);
    if (name && is_secret_param(*name)) {
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
