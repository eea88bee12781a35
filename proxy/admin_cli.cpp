#include "proxy/admin_cli.hpp"

#include <cstdlib>

#include <boost/json.hpp>
#include <boost/url.hpp>

#include "proxy/admin_client.hpp"
#include "proxy/admin_reports.hpp"
#include "proxy/admin_table.hpp"

namespace almagate {

namespace json = boost::json;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_server = 1;
constexpr int exit_usage = 2;

std::string quota_text(const std::optional<std::int64_t>& n) {
  return n ? std::to_string(*n) : "-";
}

// The Alma error body's code and message, or the start of whatever came back.
std::string describe_error(const admin_reply& reply) {
  boost::system::error_code ec;
  auto v = json::parse(reply.body, ec);
  if (!ec && v.is_object()) {
    const auto* list = v.get_object().if_contains("errorList");
    const json::value* first = nullptr;
    if (list && list->is_object()) {
      const auto* errors = list->get_object().if_contains("error");
      if (errors && errors->is_array() && !errors->get_array().empty())
        first = &errors->get_array().front();
    }
    if (first && first->is_object()) {
      const auto& e = first->get_object();
      auto text = [&](std::string_view key) {
        auto* s = e.if_contains(key);
        return s && s->is_string() ? std::string(s->get_string()) : std::string();
      };
      return text("errorCode") + ": " + text("errorMessage");
    }
  }
  return reply.body.substr(0, 200);
}

// Runs one call; on failure prints why and sets `code`. The reply is set only on a 2xx.
std::optional<admin_reply> call(const admin_cli_options& options, http::verb method,
                                std::string_view target, std::string body, int& code) {
  if (!options.token || options.token->empty()) {
    *options.err << "error: ALMAGATE_ADMIN_TOKEN is not set; it must hold the admin token\n";
    code = exit_usage;
    return std::nullopt;
  }
  admin_client_options client{options.admin_url, *options.token, options.timeout};
  auto reply = admin_call(client, method, target, std::move(body));
  if (!reply.failure.empty()) {
    bool bad_url = !boost::urls::parse_absolute_uri(options.admin_url) ||
                   reply.failure.find("admin URL") != std::string::npos;
    *options.err << "error: " << options.admin_url << ": " << reply.failure << '\n';
    code = bad_url ? exit_usage : exit_server;
    return std::nullopt;
  }
  if (reply.status / 100 != 2) {
    *options.err << "error: the admin endpoint answered " << reply.status << ": "
                 << describe_error(reply);
    if (reply.status == 401) *options.err << " (check ALMAGATE_ADMIN_TOKEN)";
    *options.err << '\n';
    code = exit_server;
    return std::nullopt;
  }
  code = exit_ok;
  return reply;
}

template <class T>
std::optional<T> parse_report(const admin_cli_options& options, const std::string& body,
                              std::optional<T> (*reader)(const json::value&)) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  std::optional<T> report;
  if (!ec) report = reader(v);
  if (!report) *options.err << "error: the admin endpoint's answer is not the expected JSON\n";
  return report;
}

void print_usage_table(std::ostream& out, const usage_report& report) {
  out << "Usage on " << report.date << "\n\n";
  if (!report.pools.empty()) {
    text_table pools({"POOL", ">LIMIT", ">USED", ">REMAINING"});
    for (const auto& p : report.pools)
      pools.add({p.pool, std::to_string(p.daily_limit), std::to_string(p.used),
                 std::to_string(std::max<std::int64_t>(0, p.daily_limit - p.used))});
    pools.print(out);
    out << '\n';
  }
  if (report.rows.empty()) {
    out << "No calls recorded.\n";
    return;
  }
  text_table rows({"CLIENT", "ENVIRONMENT", "AREA", "ACCESS", "STATUS", ">CALLS"});
  std::int64_t total = 0;
  for (const auto& r : report.rows) {
    rows.add({r.client, r.environment, r.area, r.access, std::to_string(r.status_class) + "xx",
              std::to_string(r.calls)});
    total += r.calls;
  }
  rows.add({"total", "", "", "", "", std::to_string(total)});
  rows.print(out);
}

std::string grants_text(const client_report_entry& c) {
  std::string text;
  for (const auto& g : c.grants) {
    if (!text.empty()) text += "; ";
    text += g.environment + ":";
    for (const auto& a : g.areas)
      text += " " + a.area + "=" + (a.access == "read-write" ? "rw" : a.access == "read" ? "r" : a.access);
  }
  return text;
}

void print_clients_table(std::ostream& out, const clients_report& report) {
  text_table table({"CLIENT", "TIER", ">QUOTA", ">OVERRIDE", ">USED", ">REMAINING", "GRANTS"});
  for (const auto& c : report.clients)
    table.add({c.id, c.tier, quota_text(c.configured_quota), quota_text(c.quota_override),
               std::to_string(c.used_today), std::to_string(c.remaining), grants_text(c)});
  table.print(out);
}

std::string quota_path(const std::string& client) {
  boost::urls::url u;
  u.set_path("/v1/clients");
  u.segments().push_back(client);
  u.segments().push_back("quota");
  return std::string(u.encoded_path());
}

int print_change(const admin_cli_options& options, const admin_reply& reply) {
  auto change = parse_report<quota_change>(options, reply.body, quota_change_from_json);
  if (!change) return exit_server;
  auto& out = *options.out;
  out << change->client << ": daily quota ";
  if (change->quota_override)
    out << *change->quota_override << " (live override; configured " << quota_text(change->configured_quota) << ")\n";
  else if (change->configured_quota)
    out << *change->configured_quota << " (configured; no override)\n";
  else
    out << "none (configured; no override)\n";
  return exit_ok;
}

}  // namespace

std::optional<std::string> admin_token_from_environment() {
  const char* token = std::getenv("ALMAGATE_ADMIN_TOKEN");
  if (!token || !*token) return std::nullopt;
  return std::string(token);
}

int run_usage(const admin_cli_options& options, std::optional<std::string> date,
              std::string format) {
  if (format != "table" && format != "json" && format != "csv") {
    *options.err << "error: --format must be table, json or csv\n";
    return exit_usage;
  }
  if (date && !is_valid_date(*date)) {
    *options.err << "error: --date must be a date as YYYY-MM-DD\n";
    return exit_usage;
  }
  std::string target = "/v1/usage?format=" + std::string(format == "csv" ? "csv" : "json");
  if (date) target += "&date=" + *date;
  int code = exit_ok;
  auto reply = call(options, http::verb::get, target, {}, code);
  if (!reply) return code;
  if (format != "table") {
    *options.out << reply->body;
    if (format == "json") *options.out << '\n';
    return exit_ok;
  }
  auto report = parse_report<usage_report>(options, reply->body, usage_report_from_json);
  if (!report) return exit_server;
  print_usage_table(*options.out, *report);
  return exit_ok;
}

int run_quota_show(const admin_cli_options& options, std::string format) {
  if (format != "table" && format != "json") {
    *options.err << "error: --format must be table or json\n";
    return exit_usage;
  }
  int code = exit_ok;
  auto reply = call(options, http::verb::get, "/v1/clients", {}, code);
  if (!reply) return code;
  if (format == "json") {
    *options.out << reply->body << '\n';
    return exit_ok;
  }
  auto report = parse_report<clients_report>(options, reply->body, clients_report_from_json);
  if (!report) return exit_server;
  print_clients_table(*options.out, *report);
  return exit_ok;
}

int run_quota_set(const admin_cli_options& options, std::string client, std::int64_t n) {
  if (client.empty()) {
    *options.err << "error: CLIENT must not be empty\n";
    return exit_usage;
  }
  if (n < 0) {
    *options.err << "error: the daily quota must be 0 or more\n";
    return exit_usage;
  }
  int code = exit_ok;
  auto body = json::serialize(json::object{{"daily_quota", n}});
  auto reply = call(options, http::verb::put, quota_path(client), std::move(body), code);
  if (!reply) return code;
  return print_change(options, *reply);
}

int run_quota_clear(const admin_cli_options& options, std::string client) {
  if (client.empty()) {
    *options.err << "error: CLIENT must not be empty\n";
    return exit_usage;
  }
  int code = exit_ok;
  auto reply = call(options, http::verb::delete_, quota_path(client), {}, code);
  if (!reply) return code;
  return print_change(options, *reply);
}

}  // namespace almagate
