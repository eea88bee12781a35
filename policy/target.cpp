#include "policy/target.hpp"

#include <algorithm>
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

// Byte classes for the one scan of the whole target: bytes never allowed raw, and the bytes
// that later checks look for ('?', '%', ';').
enum byte_kind : unsigned char { plain_byte, forbidden_byte, marked_byte };

constexpr auto byte_kinds = [] {
  std::array<byte_kind, 256> table{};
  for (unsigned c = 0; c < table.size(); ++c) {
    auto b = static_cast<unsigned char>(c);
    table[c] = forbidden_raw(b)                         ? forbidden_byte
               : b == '?' || b == '%' || b == ';'       ? marked_byte
                                                        : plain_byte;
  }
  return table;
}();

// Where the scan found the marked bytes.
struct target_marks {
  std::size_t question = std::string_view::npos;
  bool path_escape = false;     // a '%' before the '?'
  bool path_semicolon = false;  // a ';' before the '?'
  bool query_escape = false;    // a '%' after it
};

// Checks every byte of the target, one table lookup each; nullopt when one is forbidden.
std::optional<target_marks> scan_target(std::string_view target) {
  target_marks marks;
  const auto* bytes = reinterpret_cast<const unsigned char*>(target.data());
  std::size_t i = 0;
  while (i < target.size()) {
    // Most blocks of 8 bytes hold nothing to look at: their kinds are OR-ed first.
    if (i + 8 <= target.size()) {
      unsigned kinds = 0;
      for (std::size_t k = 0; k < 8; ++k) kinds |= byte_kinds[bytes[i + k]];
      if (kinds == plain_byte) {
        i += 8;
        continue;
      }
    }
    for (std::size_t block_end = std::min(i + 8, target.size()); i < block_end; ++i) {
      byte_kind kind = byte_kinds[bytes[i]];
      if (kind == plain_byte) continue;
      if (kind == forbidden_byte) return std::nullopt;
      char c = static_cast<char>(bytes[i]);
      if (marks.question != std::string_view::npos) {
        marks.query_escape |= c == '%';
      } else if (c == '?') {
        marks.question = i;
      } else {
        (c == '%' ? marks.path_escape : marks.path_semicolon) = true;
      }
    }
  }
  return marks;
}

// The checks of one path segment, in their fixed order; nullopt when it passes.
std::optional<refusal> check_segment(std::string_view segment, bool last,
                                     const target_marks& marks, std::string& decoded) {
  if (segment.empty() && !last) return invalid("The request path holds an empty segment ('//').");
  if (segment == "." || segment == "..") return invalid("The request path holds a dot segment.");
  if (marks.path_semicolon && segment.find(';') != std::string_view::npos)
    return invalid("The request path holds a path parameter (';').");
  // Without an escape a segment decodes to itself, and its raw bytes (checked above) are ASCII.
  if (marks.path_escape && has_escape(segment)) {
    if (!percent_decode(segment, decoded))
      return invalid("The request path holds a malformed percent-escape.");
    if (has_forbidden_escape(segment))
      return invalid(
          "The request path holds an encoded '/', '.', '\\', '%', ';' or control character.");
    if (!is_valid_utf8(decoded))
      return invalid("The request path holds an escape that is not UTF-8.");
  }
  return std::nullopt;
}

// Splits and checks the path: the environment, then almaws and v1, then segments_after_v1.
std::optional<refusal> parse_path(std::string_view path, const target_marks& marks,
                                  parsed_target& out) {
  std::string decoded;
  std::size_t seen = 0;  // non-empty segments so far
  bool routed = true;    // almaws and v1 where they belong
  std::size_t start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    bool last = slash == std::string_view::npos;
    auto end = last ? path.size() : slash;
    std::string_view segment = path.substr(start, end - start);
    if (auto error = check_segment(segment, last, marks, decoded)) return error;
    if (!segment.empty()) {
      std::size_t index = seen++;
      if (index == 0 && segment != "almaws") {
        out.environment = segment;
      } else {
        std::size_t after_environment = out.environment.empty() ? index : index - 1;
        if (after_environment == 0)
          routed = routed && segment == "almaws";
        else if (after_environment == 1)
          routed = routed && segment == "v1";
        else
          out.segments_after_v1.push_back(segment);
      }
    }
    if (last) break;
    start = end + 1;
  }
  // Routing comes after every segment is checked: a bad segment is a 400 wherever it is.
  if (!routed || out.segments_after_v1.empty())
    return not_routed(
        "No API is routed at this path: use /almaws/v1/<area>/... or "
        "/<environment>/almaws/v1/<area>/....");
  out.area_segment = out.segments_after_v1.front();
  return std::nullopt;
}

// Copies runs of the target into the upstream target: a kept parameter whose separator in
// the target is the one it needs extends the run instead of being appended on its own.
class upstream_builder {
 public:
  upstream_builder(std::string_view target, std::size_t begin, std::size_t end, std::string& out)
      : target_(target), out_(out), run_begin_(begin), run_end_(end) {
    out_.reserve(target.size() - begin);
  }

  // The parameter at [begin, end) of the target.
  void keep(std::size_t begin, std::size_t end) {
    char separator = first_ ? '?' : '&';
    first_ = false;
    if (begin == run_end_ + 1 && target_[run_end_] == separator) {
      run_end_ = end;
      return;
    }
    flush();
    out_ += separator;
    run_begin_ = begin;
    run_end_ = end;
  }

  void flush() { out_.append(target_.substr(run_begin_, run_end_ - run_begin_)); }

 private:
  std::string_view target_;
  std::string& out_;
  std::size_t run_begin_;
  std::size_t run_end_;
  bool first_ = true;
};

// Reads the query: apikey parameters are collected and dropped, the rest forwarded.
std::optional<refusal> parse_query(std::string_view target, const target_marks& marks,
                                   upstream_builder& upstream, parsed_target& out,
                                   bool& secret_forwarded) {
  std::size_t base = marks.question + 1;
  std::string_view query = target.substr(base);
  bool seen_op = false;
  std::string scratch;
  std::size_t pos = 0;
  while (pos <= query.size()) {
    auto amp = query.find('&', pos);
    auto end = amp == std::string_view::npos ? query.size() : amp;
    std::string_view param = query.substr(pos, end - pos);
    if (!param.empty()) {
      auto eq = param.find('=');
      std::string_view name = param.substr(0, eq);
      std::string_view value =
          eq == std::string_view::npos ? std::string_view{} : param.substr(eq + 1);
      // Without a '%' in the query every name is its own decoding and every value is valid.
      if (marks.query_escape) {
        auto decoded_name = decode_name(name, scratch);
        if (!decoded_name || !escapes_well_formed(value))
          return invalid("The query holds a malformed percent-escape.");
        name = *decoded_name;
      }
      if (is_ascii_lower_equal(name, "apikey")) {
        out.apikeys.push_back(value);  // never forwarded
      } else {
        if (name == "op") {
          // An empty first op ("op=&op=auth") still counts: upstream may read either one.
          if (seen_op || eq == std::string_view::npos)
            return invalid("The query must hold at most one op parameter.");
          seen_op = true;
          out.op = value;
        } else if (name == "format") {
          out.format = value;
        }
        if (eq != std::string_view::npos && is_secret_param(name)) secret_forwarded = true;
        upstream.keep(base + pos, base + end);
      }
    }
    if (amp == std::string_view::npos) break;
    pos = end + 1;
  }
  return std::nullopt;
}

}  // namespace

std::optional<refusal> parse_target_into(std::string_view target, parsed_target& out) {
  if (target.empty() || target.front() != '/')
    return invalid("The request target must be a path starting with '/'.");
  auto marks = scan_target(target);
  if (!marks) return invalid("The request target holds a character that is not allowed.");
  std::string_view path = target.substr(0, marks->question);
  if (auto error = parse_path(path, *marks, out)) return error;

  // The upstream target: the path without the environment prefix, the query without apikey
  // parameters.
  std::size_t path_start = out.environment.empty() ? 0 : out.environment.size() + 1;
  upstream_builder upstream(target, path_start, path.size(), out.upstream_target);
  bool secret_forwarded = false;  // a forwarded password=...: the log target must redact it
  if (marks->question != std::string_view::npos)
    if (auto error = parse_query(target, *marks, upstream, out, secret_forwarded)) return error;
  upstream.flush();
  // redact_target changes only a secret parameter that has a value; without one the log
  // shows upstream_target itself (no copy).
  if (secret_forwarded) out.redacted_target = redact_target(out.upstream_target);
  return std::nullopt;
}

target_result parse_target(std::string_view target) {
  // One result object for every outcome, so it is built in place in the caller.
  target_result result;
  if (auto error = parse_target_into(target, result.target.emplace())) {
    result.target.reset();
    result.error = std::move(*error);
  }
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
