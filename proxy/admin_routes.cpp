#include "proxy/admin_routes.hpp"

#include <boost/json.hpp>
#include <boost/url.hpp>

#include "policy/alma_error.hpp"
#include "proxy/admin_auth.hpp"
#include "proxy/dashboard_assets.hpp"
#include "proxy/request_id.hpp"

namespace almagate {

namespace json = boost::json;
namespace urls = boost::urls;

namespace {

admin_response make_response(const admin_request& req, http::status status,
                             std::string_view content_type, std::string body) {
  admin_response res{status, req.version()};
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

admin_response json_response(const admin_request& req, const json::value& body,
                             http::status status = http::status::ok) {
  return make_response(req, status, "application/json", json::serialize(body));
}

admin_response error_response(const admin_request& req, const admin_error& e) {
  auto id = new_request_id();
  auto res = make_response(req, static_cast<http::status>(e.status),
                           content_type_of(body_format::json),
                           alma_error_body(body_format::json, e.code, e.message, id));
  res.set("X-Request-Id", id);
  return res;
}

admin_response method_not_allowed(const admin_request& req, std::string_view allow) {
  auto res = error_response(req, {405, "INVALID_REQUEST", "Method not allowed on this path."});
  res.set(http::field::allow, allow);
  return res;
}

std::optional<std::int64_t> daily_quota_of(std::string_view body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  auto* n = v.get_object().if_contains("daily_quota");
  if (!n || !(n->is_int64() || n->is_uint64())) return std::nullopt;
  auto quota = n->to_number<std::int64_t>(ec);
  if (ec || quota < 0) return std::nullopt;
  return quota;
}

awaitable<admin_response> usage_route(const admin_request& req, const urls::url_view& url,
                                      admin_backend& backend) {
  std::optional<std::string> date;
  std::string format = "json";
  for (auto param : url.params()) {
    if (param.key == "date") date = param.value;
    else if (param.key == "format") format = param.value;
    else co_return error_response(req, {400, "INVALID_REQUEST", "Unknown parameter: " + param.key + "."});
  }
  if (date && !is_valid_date(*date))
    co_return error_response(req, {400, "INVALID_REQUEST", "date must be YYYY-MM-DD."});
  if (format != "json" && format != "csv")
    co_return error_response(req, {400, "INVALID_REQUEST", "format must be json or csv."});
  auto report = co_await backend.usage(std::move(date));
  if (!report) co_return error_response(req, report.error);
  if (format == "csv") {
    auto res = make_response(req, http::status::ok, "text/csv; charset=utf-8; header=present",
                             to_csv(*report.value));
    co_return res;
  }
  co_return json_response(req, to_json(*report.value));
}

awaitable<admin_response> hours_route(const admin_request& req, const urls::url_view& url,
                                      admin_backend& backend) {
  std::optional<std::string> date;
  for (auto param : url.params()) {
    if (param.key == "date") date = param.value;
    else co_return error_response(req, {400, "INVALID_REQUEST", "Unknown parameter: " + param.key + "."});
  }
  if (date && !is_valid_date(*date))
    co_return error_response(req, {400, "INVALID_REQUEST", "date must be YYYY-MM-DD."});
  auto report = co_await backend.usage_hours(std::move(date));
  if (!report) co_return error_response(req, report.error);
  co_return json_response(req, to_json(*report.value));
}

// The page holds no data: it asks the API for everything with the token typed into it.
admin_response dashboard_response(const admin_request& req, const dashboard_asset& asset) {
  auto res = make_response(req, http::status::ok, asset.content_type, std::string(asset.body));
  res.set("Content-Security-Policy",
          "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
          "img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  return res;
}

awaitable<admin_response> quota_route(const admin_request& req, std::string client,
                                      admin_backend& backend) {
  if (req.method() == http::verb::put) {
    auto n = daily_quota_of(req.body());
    if (!n)
      co_return error_response(
          req, {400, "INVALID_REQUEST", R"(The body must be {"daily_quota": N} with N >= 0.)"});
    auto changed = co_await backend.set_quota(std::move(client), *n);
    if (!changed) co_return error_response(req, changed.error);
    co_return json_response(req, to_json(*changed.value));
  }
  if (req.method() == http::verb::delete_) {
    auto changed = co_await backend.clear_quota(std::move(client));
    if (!changed) co_return error_response(req, changed.error);
    co_return json_response(req, to_json(*changed.value));
  }
  co_return method_not_allowed(req, "PUT, DELETE");
}

}  // namespace

awaitable<admin_response> handle_admin_request(const admin_request& req, admin_backend& backend) {
  auto parsed = urls::parse_origin_form(req.target());
  if (!parsed) co_return error_response(req, {400, "INVALID_REQUEST", "The target is not valid."});
  urls::url_view url = *parsed;
  std::vector<std::string> segments(url.segments().begin(), url.segments().end());
  auto path_is = [&](std::initializer_list<std::string_view> want) {
    return std::equal(segments.begin(), segments.end(), want.begin(), want.end());
  };
  bool get = req.method() == http::verb::get;

  if (path_is({"healthz"})) {
    if (!get) co_return method_not_allowed(req, "GET");
    co_return json_response(req, json::object{{"status", "ok"}});
  }

  if (const auto* asset = find_dashboard_asset(url.path())) {
    if (!get) co_return method_not_allowed(req, "GET");
    co_return dashboard_response(req, *asset);
  }

  if (!admin_token_matches(req[http::field::authorization], backend.admin_token_sha256())) {
    auto res = error_response(req, {401, "UNAUTHORIZED", "A valid admin bearer token is required."});
    res.set(http::field::www_authenticate, R"(Bearer realm="almagate-admin")");
    co_return res;
  }

  if (path_is({"readyz"})) {
    if (!get) co_return method_not_allowed(req, "GET");
    if (!co_await backend.ready())
      co_return error_response(req, {503, "GENERAL_ERROR", "Not ready: config or store unavailable."});
    co_return json_response(req, json::object{{"status", "ready"}});
  }
  if (path_is({"metrics"})) {
    if (!get) co_return method_not_allowed(req, "GET");
    co_return make_response(req, http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                            co_await backend.metrics_text());
  }
  if (path_is({"v1", "usage"})) {
    if (!get) co_return method_not_allowed(req, "GET");
    co_return co_await usage_route(req, url, backend);
  }
  if (path_is({"v1", "usage", "hours"})) {
    if (!get) co_return method_not_allowed(req, "GET");
    co_return co_await hours_route(req, url, backend);
  }
  if (path_is({"v1", "clients"})) {
    if (!get) co_return method_not_allowed(req, "GET");
    auto report = co_await backend.clients();
    if (!report) co_return error_response(req, report.error);
    co_return json_response(req, to_json(*report.value));
  }
  if (segments.size() == 4 && segments[0] == "v1" && segments[1] == "clients" &&
      !segments[2].empty() && segments[3] == "quota")
    co_return co_await quota_route(req, segments[2], backend);
  if (path_is({"v1", "reload"})) {
    if (req.method() != http::verb::post) co_return method_not_allowed(req, "POST");
    auto result = backend.reload();
    if (!result.ok) co_return error_response(req, {500, "GENERAL_ERROR", "Reload failed: " + result.message});
    co_return json_response(req, json::object{{"reloaded", true}});
  }
  co_return error_response(req, {404, "ROUTING_ERROR", "No such admin path."});
}

}  // namespace almagate
