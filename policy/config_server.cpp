// The server's own settings: where it listens, TLS, limits, the store, admin and alerts.
#include <limits>

#include "policy/config_sections.hpp"
#include "policy/config_values.hpp"

namespace almagate::config_sections {

using config_yaml::field;
using config_yaml::fixed_map;
using config_yaml::in_quotes;

std::string context::resolve(const std::string& path) const {
  const std::filesystem::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (base_dir / p).lexically_normal().string();
}

namespace {

listen_address read_listen(const field& f) {
  auto parsed = config_values::parse_listen_address(f.as_string());
  if (!parsed.value) f.fail(parsed.error + ", got " + in_quotes(f.as_string()));
  return *parsed.value;
}

std::string read_path(const field& f, const context& ctx) {
  const std::string text = f.as_string();
  if (text.empty()) f.fail("must not be empty");
  return ctx.resolve(text);
}

void read_limits(const field& f, limits& out) {
  const fixed_map m(f, {"max_header_bytes", "max_body_bytes", "client_header_timeout",
                        "client_body_timeout", "keepalive_timeout", "upstream_connect_timeout",
                        "upstream_response_timeout", "upstream_idle_per_thread",
                        "upstream_idle_timeout", "shutdown_timeout"});
  constexpr std::int64_t max_int = std::numeric_limits<std::int64_t>::max();
  auto positive_duration = [&](std::string_view name, std::chrono::milliseconds& value) {
    if (auto v = m.get(name)) {
      value = v->as_duration();
      if (value.count() == 0) v->fail("must be longer than 0ms");
    }
  };
  if (auto v = m.get("max_header_bytes"))
    out.max_header_bytes = static_cast<std::size_t>(v->as_int(1024, 1024 * 1024));
  if (auto v = m.get("max_body_bytes"))
    out.max_body_bytes = static_cast<std::uint64_t>(v->as_int(1, max_int));
  positive_duration("client_header_timeout", out.client_header_timeout);
  positive_duration("client_body_timeout", out.client_body_timeout);
  positive_duration("keepalive_timeout", out.keepalive_timeout);
  positive_duration("upstream_connect_timeout", out.upstream_connect_timeout);
  positive_duration("upstream_response_timeout", out.upstream_response_timeout);
  if (auto v = m.get("upstream_idle_per_thread"))
    out.upstream_idle_per_thread = static_cast<std::size_t>(v->as_int(0, 100'000));
  positive_duration("upstream_idle_timeout", out.upstream_idle_timeout);
  positive_duration("shutdown_timeout", out.shutdown_timeout);
}

void read_admin(const field& f, admin_settings& out) {
  const fixed_map m(f, {"listen", "token_sha256"});
  out.listen = read_listen(m.require("listen"));
  const field token = m.require("token_sha256");
  // Never echo the value: someone may have pasted the token itself here.
  auto hex = config_values::parse_sha256_hex(token.as_string());
  if (!hex) token.fail("expected 64 hex digits (the SHA-256 of the admin token)");
  out.token_sha256 = *hex;
}

std::vector<double> read_alerts(const field& f) {
  std::vector<double> out;
  for (const field& item : f.as_sequence()) {
    const double share = item.as_double();
    if (!(share > 0 && share <= 1))
      item.fail("an alert is a share of the day's calls, above 0 and at most 1");
    if (!out.empty() && share <= out.back()) item.fail("alerts must be in ascending order");
    out.push_back(share);
  }
  return out;
}

}  // namespace

void read_server(const fixed_map& root, config& out, const context& ctx) {
  out.listen = read_listen(root.require("listen"));
  if (auto tls = root.get("tls")) {
    const fixed_map m(*tls, {"cert", "key"});
    out.tls_cert = read_path(m.require("cert"), ctx);
    out.tls_key = read_path(m.require("key"), ctx);
  }
  if (auto ca = root.get("upstream_ca")) out.upstream_ca = read_path(*ca, ctx);
  if (auto threads = root.get("threads")) out.threads = static_cast<unsigned>(threads->as_int(0, 1024));
  if (auto l = root.get("limits")) read_limits(*l, out.limit);
  if (auto store = root.get("store")) {
    out.store = store->as_string();
    if (auto why = config_values::check_store_url(out.store); !why.empty())
      store->fail(why);  // not echoed: a URL may carry a password
  }
  if (auto mode = root.get("store_failure")) {
    const std::string text = mode->as_string();
    if (text == "closed") out.store_failure = store_failure_mode::closed;
    else if (text == "open") out.store_failure = store_failure_mode::open;
    else if (text == "share") out.store_failure = store_failure_mode::share;
    else mode->fail("expected closed, open or share, got " + in_quotes(text));
  }
  if (auto admin = root.get("admin")) read_admin(*admin, out.admin);
  if (auto alerts = root.get("alerts")) out.alerts = read_alerts(*alerts);
}

}  // namespace almagate::config_sections
