#include "policy/location.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "policy/target.hpp"

namespace almagate {

namespace {
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The path and query of an upstream location, without apikey parameters.
std::string without_apikey(std::string_view path_and_query) {
  auto parsed = parse_target(path_and_query);
  if (parsed.target) return parsed.target->upstream_target;
  // Not an Alma API path: keep the path, drop the query rather than risk forwarding a key.
  return std::string(path_and_query.substr(0, path_and_query.find('?')));
}
}  // namespace

std::optional<std::string> rewrite_location(std::string_view location,
                                            const upstream_url& upstream,
                                            std::string_view public_base,
                                            std::string_view environment_prefix) {
  std::string path_and_query;
  if (!location.empty() && location.front() == '/' &&
      (location.size() < 2 || location[1] != '/')) {
    path_and_query = location;
  } else {
    auto url = boost::urls::parse_absolute_uri(location);
    if (!url) return std::nullopt;
    if (!iequals(url->host(), upstream.host)) return std::nullopt;
    bool tls = iequals(url->scheme(), "https");
    std::uint16_t port = url->has_port() ? url->port_number() : (tls ? 443 : 80);
    if (port != upstream.port) return std::nullopt;
    path_and_query = url->encoded_path();
    if (path_and_query.empty()) path_and_query.push_back('/');
    if (url->has_query()) {
      path_and_query += '?';
      path_and_query += url->encoded_query();
    }
  }
  std::string out(public_base);
  if (!environment_prefix.empty()) {
    out += '/';
    out += environment_prefix;
  }
  out += without_apikey(path_and_query);
  return out;
}

bool is_plausible_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace almagate
