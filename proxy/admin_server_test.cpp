#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "proxy/admin_client.hpp"
#include "proxy/admin_test_fixture.hpp"

using namespace almagate;
using namespace almagate::test;
namespace json = boost::json;

namespace {

admin_reply ask(const admin_test_server& server, http::verb method, std::string_view target,
                std::string body = {}, std::string token = admin_test_token) {
  admin_client_options options{server.url(), std::move(token), std::chrono::seconds(5)};
  auto reply = admin_call(options, method, target, std::move(body));
  REQUIRE(reply.failure.empty());
  return reply;
}

std::string error_code_of(const admin_reply& reply) {
  auto v = json::parse(reply.body);
  return std::string(v.at("errorList").at("error").at(0).at("errorCode").as_string());
}

// Lines of a CSV body without the CRLF.
std::vector<std::string> lines_of(const std::string& body) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < body.size()) {
    auto end = body.find("\r\n", start);
    REQUIRE(end != std::string::npos);
    lines.push_back(body.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

}  // namespace

TEST_CASE("admin: /healthz needs no token; every other route needs the right one") {
  fake_admin_backend backend;
  admin_test_server server(backend);

  auto health = ask(server, http::verb::get, "/healthz", {}, "");
  CHECK(health.status == 200);
  CHECK(json::parse(health.body).at("status") == "ok");

  for (std::string target : {"/readyz", "/metrics", "/v1/usage", "/v1/clients"}) {
    CAPTURE(target);
    auto missing = ask(server, http::verb::get, target, {}, "");
    CHECK(missing.status == 401);
    CHECK(error_code_of(missing) == "UNAUTHORIZED");
    auto wrong = ask(server, http::verb::get, target, {}, "adm_wrong");
    CHECK(wrong.status == 401);
  }
  auto put = ask(server, http::verb::put, "/v1/clients/caiasoft-sync/quota", R"({"daily_quota":1})", "nope");
  CHECK(put.status == 401);
  // Refused calls never reached the backend.
  CHECK(backend.calls().empty());
}

TEST_CASE("admin: readyz, metrics and reload") {
  fake_admin_backend backend;
  backend.is_ready = false;
  backend.reload_ok = false;
  admin_test_server server(backend);

  auto ready = ask(server, http::verb::get, "/readyz");
  CHECK(ready.status == 503);
  CHECK(error_code_of(ready) == "GENERAL_ERROR");

  auto metrics = ask(server, http::verb::get, "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.content_type.starts_with("text/plain; version=0.0.4"));
  CHECK(metrics.body.find("almagate_up 1\n") != std::string::npos);

  auto reload = ask(server, http::verb::post, "/v1/reload");
  CHECK(reload.status == 500);
  CHECK(json::parse(reload.body).at("errorList").at("error").at(0).at("errorMessage").as_string()
            .find("x.yaml:3") != json::string::npos);
  CHECK(ask(server, http::verb::get, "/v1/reload").status == 405);
  CHECK(backend.calls() == std::vector<std::string>{"reload"});
}

TEST_CASE("admin: readyz and reload succeed when the backend does") {
  fake_admin_backend backend;
  admin_test_server server(backend);
  auto ready = ask(server, http::verb::get, "/readyz");
  CHECK(ready.status == 200);
  CHECK(json::parse(ready.body).at("status") == "ready");
  auto reload = ask(server, http::verb::post, "/v1/reload");
  CHECK(reload.status == 200);
  CHECK(json::parse(reload.body).at("reloaded") == true);
}

TEST_CASE("admin: usage as JSON and as CSV") {
  fake_admin_backend backend;
  admin_test_server server(backend);

  auto today = ask(server, http::verb::get, "/v1/usage");
  REQUIRE(today.status == 200);
  CHECK(today.content_type == "application/json");
  auto v = json::parse(today.body);
  CHECK(v.at("date") == "2026-11-29");
  CHECK(v.at("pools").at(0).at("daily_limit") == 100000);
  CHECK(v.at("pools").at(0).at("used") == 1234);
  CHECK(v.at("usage").as_array().size() == 3);
  CHECK(v.at("usage").at(0).at("status_class") == "2xx");
  CHECK(v.at("usage").at(1).at("access") == "read");

  auto csv = ask(server, http::verb::get, "/v1/usage?date=2026-11-28&format=csv");
  REQUIRE(csv.status == 200);
  CHECK(csv.content_type.starts_with("text/csv"));
  auto lines = lines_of(csv.body);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] ==
        "date,client,environment,area,access,status_class,calls,pool,pool_daily_limit,pool_used");
  CHECK(lines[1] == "2026-11-28,caiasoft-sync,production,bibs,read-write,2xx,1000,main,100000,1234");
  CHECK(lines[2] == "2026-11-28,spine-labels,production,bibs,read,4xx,34,main,100000,1234");
  // RFC 4180: a field with a comma or a quote is quoted, the quote doubled; no pool: empty.
  CHECK(lines[3] == "2026-11-28,\"odd,\"\"name\"\"\",sandbox,users,read,2xx,200,,,");
  CHECK(backend.calls() == std::vector<std::string>{"usage today", "usage 2026-11-28"});

  CHECK(ask(server, http::verb::get, "/v1/usage?date=2026-02-30").status == 400);
  CHECK(ask(server, http::verb::get, "/v1/usage?date=yesterday").status == 400);
  CHECK(ask(server, http::verb::get, "/v1/usage?format=xml").status == 400);
  CHECK(ask(server, http::verb::get, "/v1/usage?limit=3").status == 400);
  CHECK(backend.calls().size() == 2);
}

TEST_CASE("admin: clients and quota overrides") {
  fake_admin_backend backend;
  admin_test_server server(backend);

  auto clients = ask(server, http::verb::get, "/v1/clients");
  REQUIRE(clients.status == 200);
  auto v = json::parse(clients.body);
  auto& first = v.at("clients").at(0);
  CHECK(first.at("id") == "caiasoft-sync");
  CHECK(first.at("tier") == "standard");
  CHECK(first.at("configured_quota") == 5000);
  CHECK(first.at("quota_override").is_null());
  CHECK(first.at("used_today") == 1000);
  CHECK(first.at("remaining") == 4000);
  CHECK(first.at("grants").at(0).at("areas").at("bibs") == "read-write");

  auto set = ask(server, http::verb::put, "/v1/clients/caiasoft-sync/quota", R"({"daily_quota": 250})");
  CHECK(set.status == 200);
  CHECK(json::parse(set.body).at("quota_override") == 250);
  auto cleared = ask(server, http::verb::delete_, "/v1/clients/caiasoft-sync/quota");
  CHECK(cleared.status == 200);
  CHECK(json::parse(cleared.body).at("quota_override").is_null());
  CHECK(json::parse(cleared.body).at("configured_quota") == 5000);

  auto unknown = ask(server, http::verb::put, "/v1/clients/nobody/quota", R"({"daily_quota": 1})");
  CHECK(unknown.status == 404);
  CHECK(error_code_of(unknown) == "NOT_FOUND");
  CHECK(ask(server, http::verb::delete_, "/v1/clients/nobody/quota").status == 404);

  for (std::string bad : {"", "{", "[]", R"({"daily_quota": -1})", R"({"daily_quota": "5"})",
                          R"({"daily_quota": 1.5})", R"({"quota": 5})"}) {
    CAPTURE(bad);
    auto reply = ask(server, http::verb::put, "/v1/clients/caiasoft-sync/quota", bad);
    CHECK(reply.status == 400);
    CHECK(error_code_of(reply) == "INVALID_REQUEST");
  }
  CHECK(ask(server, http::verb::post, "/v1/clients/caiasoft-sync/quota").status == 405);
  CHECK(ask(server, http::verb::get, "/v1/nothing").status == 404);
  CHECK(error_code_of(ask(server, http::verb::get, "/v1/nothing")) == "ROUTING_ERROR");
  CHECK(backend.calls() == std::vector<std::string>{"clients", "set_quota caiasoft-sync 250",
                                                    "clear_quota caiasoft-sync",
                                                    "set_quota nobody 1", "clear_quota nobody"});
}

TEST_CASE("admin: one keep-alive connection serves several requests; oversized bodies are 413") {
  fake_admin_backend backend;
  admin_test_server server(backend);
  net::io_context ioc;
  plain_stream stream(ioc);
  stream.connect(tcp::endpoint(net::ip::address_v4::loopback(), server.port()));
  beast::flat_buffer buffer;
  for (int i = 0; i < 3; ++i) {
    http::request<http::string_body> req{http::verb::get, "/v1/clients", 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, std::string("Bearer ") + admin_test_token);
    http::write(stream, req);
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    CHECK(res.result_int() == 200);
    CHECK(res.keep_alive());
  }
  // Only the header: its Content-Length alone is over the limit.
  std::string big = "PUT /v1/clients/caiasoft-sync/quota HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Authorization: Bearer " + std::string(admin_test_token) +
                    "\r\nContent-Length: 102400\r\n\r\n";
  net::write(stream, net::buffer(big));
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  CHECK(res.result_int() == 413);
  CHECK(!res.keep_alive());
  CHECK(backend.calls().size() == 3);
}
