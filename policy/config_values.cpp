#include "policy/config_values.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>

namespace almagate::config_values {

namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

bool all_of(std::string_view text, bool (*allowed)(char)) {
  if (text.empty()) return false;
  for (char c : text)
    if (!allowed(c)) return false;
  return true;
}

bool is_lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

parsed<listen_address> parse_listen_address(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return {{}, "expected \"[address]:port\""};
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return {{}, "expected \"host:port\""};
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return {{}, "an IPv6 address must be written in brackets: \"[::1]:8080\""};
  }
  if (host.empty()) return {{}, "expected \"host:port\", the host is empty"};
  auto number = parse_port(port);
  if (!number) return {{}, "the port must be a number from 0 to 65535"};
  return {listen_address{std::string(host), *number}, {}};
}

parsed<upstream_url> parse_upstream_url(std::string_view text) {
  auto result = boost::urls::parse_absolute_uri(text);
  if (!result) return {{}, "expected an http:// or https:// URL"};
  const boost::urls::url_view& url = *result;
  upstream_url out;
  if (url.scheme() == "https") out.tls = true;
  else if (url.scheme() == "http") out.tls = false;
  else return {{}, "the scheme must be http or https"};
  if (!url.has_authority() || url.encoded_host().empty()) return {{}, "the URL has no host"};
  if (url.has_userinfo()) return {{}, "the URL must not carry a user or password"};
  if (url.has_query() || url.has_fragment())
    return {{}, "the URL must not have a query or fragment"};
  if (!url.encoded_path().empty() && url.encoded_path() != "/")
    return {{}, "the URL must not have a path (the gateway adds /almaws/v1/...)"};
  out.host = url.host_address();
  out.port = out.tls ? 443 : 80;
  if (url.has_port()) {
    auto port = parse_port(url.port());
    if (!port || *port == 0) return {{}, "the port must be a number from 1 to 65535"};
    out.port = *port;
  }
  out.text = std::string(text);
  if (!out.text.empty() && out.text.back() == '/') out.text.pop_back();
  // An IPv6 literal keeps its brackets in the Host header.
  out.host_field = out.host.find(':') == std::string::npos ? out.host : '[' + out.host + ']';
  if (out.port != (out.tls ? 443 : 80)) out.host_field += ':' + std::to_string(out.port);
  return {out, {}};
}

std::string check_store_url(std::string_view text) {
  if (text == "memory") return {};
  auto result = boost::urls::parse_absolute_uri(text);
  if (!result || result->scheme() != "redis")
    return "expected \"memory\" or \"redis://host:port/db\"";
  const boost::urls::url_view& url = *result;
  if (url.encoded_host().empty()) return "the redis URL has no host";
  // A password here would end up in logs and messages; it is not supported.
  if (url.has_userinfo()) return "the redis URL must not carry a user or password";
  if (url.has_query() || url.has_fragment())
    return "the redis URL must not have a query or fragment";
  if (url.has_port()) {
    auto port = parse_port(url.port());
    if (!port || *port == 0) return "the redis port must be a number from 1 to 65535";
  }
  std::string_view path = url.encoded_path();
  if (path.empty() || path == "/") return {};
  path.remove_prefix(1);
  unsigned db = 0;
  const char* end = path.data() + path.size();
  auto [ptr, ec] = std::from_chars(path.data(), end, db);
  if (ec != std::errc{} || ptr != end) return "the redis database must be a number: redis://host:port/0";
  return {};
}

std::optional<std::chrono::minutes> parse_time_of_day(std::string_view text) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (text.size() != 5 || text[2] != ':' || !digit(text[0]) || !digit(text[1]) ||
      !digit(text[3]) || !digit(text[4]))
    return std::nullopt;
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 23 || minutes > 59) return std::nullopt;
  return std::chrono::minutes(hours * 60 + minutes);
}

bool is_simple_name(std::string_view name) {
  return all_of(name, [](char c) { return is_lower_or_digit(c) || c == '-'; });
}

bool is_identifier(std::string_view name) {
  return all_of(name, [](char c) {
    return is_lower_or_digit(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == '-';
  });
}

bool is_env_var_name(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  return all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::optional<std::string> parse_sha256_hex(std::string_view text) {
  if (text.size() != 64) return std::nullopt;
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!is_hex(c)) return std::nullopt;
  }
  return out;
}

}  // namespace almagate::config_values
