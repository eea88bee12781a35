// The dashboard's routes on the admin endpoint: the page and its assets (no token, strict
// CSP, nothing from outside) and GET /v1/usage/hours (token, 24 numbers a pool).

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "proxy/admin_client.hpp"
#include "proxy/admin_test_fixture.hpp"
#include "proxy/dashboard_assets.hpp"

using namespace almagate;
using namespace almagate::test;
namespace json = boost::json;

namespace {

admin_reply ask(const admin_test_server& server, http::verb method, std::string_view target,
                std::string token = admin_test_token) {
  admin_client_options options{server.url(), std::move(token), std::chrono::seconds(5)};
  auto reply = admin_call(options, method, target, {});
  REQUIRE(reply.failure.empty());
  return reply;
}

}  // namespace

TEST_CASE("dashboard: the page and its assets are served without a token, self-contained") {
  fake_admin_backend backend;
  admin_test_server server(backend);
  auto page = ask(server, http::verb::get, "/dashboard", "");
  CHECK(page.status == 200);
  CHECK(page.body == dashboard_html);
  CHECK(page.body.find("<label for=\"token\">") != std::string::npos);
  for (std::string_view asset : {"/dashboard/app.css", "/dashboard/app.js", "/dashboard/render.js"}) {
    auto r = ask(server, http::verb::get, asset, "");
    CHECK(r.status == 200);
    CHECK_FALSE(r.body.empty());
  }
  // No outside resource anywhere: the only URL is the SVG namespace, which is never fetched.
  CHECK(dashboard_html.find("http") == std::string_view::npos);
  CHECK(dashboard_html.find("//") == std::string_view::npos);
  CHECK(dashboard_css.find("url(") == std::string_view::npos);
  CHECK(dashboard_css.find("@import") == std::string_view::npos);
  CHECK(dashboard_js.find("http") == std::string_view::npos);
  const auto svg_ns = dashboard_render_js.find("http://www.w3.org/2000/svg");
  CHECK(svg_ns != std::string_view::npos);
  CHECK(dashboard_render_js.find("http", svg_ns + 1) == std::string_view::npos);
  CHECK(dashboard_render_js.rfind("http", svg_ns - 1) == std::string_view::npos);
  CHECK(ask(server, http::verb::post, "/dashboard", "").status == 405);
  CHECK(ask(server, http::verb::get, "/dashboard/other.js", "").status == 401);
  CHECK(ask(server, http::verb::get, "/dashboard/other.js").status == 404);
  CHECK(backend.calls().empty());  // the page asks the backend nothing
}

TEST_CASE("dashboard: GET /v1/usage/hours gives each pool's 24 hours and its day") {
  fake_admin_backend backend;
  admin_test_server server(backend);
  CHECK(ask(server, http::verb::get, "/v1/usage/hours", "").status == 401);

  auto today = ask(server, http::verb::get, "/v1/usage/hours");
  REQUIRE(today.status == 200);
  auto v = json::parse(today.body);
  CHECK(v.at("date") == "2026-11-29");
  const auto& pool = v.at("pools").at(0);
  CHECK(pool.at("pool") == "main");
  CHECK(pool.at("timezone") == "America/New_York");
  CHECK(pool.at("reset") == "00:00");
  CHECK(pool.at("daily_limit") == 100000);
  CHECK(pool.at("used") == 1234);
  CHECK(pool.at("reserve").at("standard") == 10000);
  CHECK(pool.at("reserve").at("batch") == 30000);
  CHECK(pool.at("day_start") == "2026-11-29T05:00:00Z");
  CHECK(pool.at("next_reset") == "2026-11-30T05:00:00Z");
  CHECK(pool.at("current_hour") == 13);
  CHECK(pool.at("current_hour_start") == "2026-11-29T18:00:00Z");
  const auto& hours = pool.at("hours").as_array();
  REQUIRE(hours.size() == 24);
  CHECK(hours[9] == 400);
  CHECK(hours[13] == 834);
  CHECK(hours[0] == 0);

  auto past = ask(server, http::verb::get, "/v1/usage/hours?date=2026-11-28");
  REQUIRE(past.status == 200);
  auto p = json::parse(past.body);
  CHECK(p.at("date") == "2026-11-28");
  CHECK(p.at("pools").at(0).at("current_hour").is_null());
  CHECK(backend.calls() ==
        std::vector<std::string>{"usage_hours today", "usage_hours 2026-11-28"});

  CHECK(ask(server, http::verb::get, "/v1/usage/hours?date=2026-02-30").status == 400);
  CHECK(ask(server, http::verb::get, "/v1/usage/hours?day=2026-11-28").status == 400);
  CHECK(ask(server, http::verb::post, "/v1/usage/hours").status == 405);
}
