// The request path end to end: the real almagate in front of the real simulator over TLS.

#include <doctest/doctest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <cctype>
#include <thread>

#include "tests/e2e/fixture.hpp"
#include "tests/support/wait.hpp"

using namespace almagate::test;

namespace {

// The one request the simulator received since the last clear().
boost::json::object only_request(sim_server& sim) {
  auto requests = sim.requests();
  REQUIRE(requests.size() == 1);
  return requests[0].as_object();
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string header_of(const boost::json::object& request, const char* name) {
  const auto& headers = request.at("headers").as_object();
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) return std::string(value.as_string());
  return {};
}

}  // namespace

TEST_CASE("each token style reaches Alma with only the real key") {
  gateway_fixture f;
  struct style {
    const char* name;
    std::string url;
    header_list headers;
  };
  std::vector<style> styles = {
      {"query apikey", f.url("/almaws/v1/bibs/991234?apikey=" + caiasoft_token + "&view=full"), {}},
      {"Authorization: apikey", f.url("/almaws/v1/bibs/991234?view=full"),
       {{"Authorization", "apikey " + caiasoft_token}}},
      {"Authorization: Bearer", f.url("/almaws/v1/bibs/991234?view=full"),
       {{"Authorization", "Bearer " + caiasoft_token}}},
  };
  for (const auto& s : styles) {
    CAPTURE(s.name);
    f.sim.clear();
    auto r = f.client.get(s.url, s.headers);
    CHECK(r.status == 200);
    CHECK(r.header("X-Request-Id").size() == 16);
    auto seen = only_request(f.sim);
    CHECK(seen.at("method").as_string() == "GET");
    CHECK(seen.at("target").as_string() == "/almaws/v1/bibs/991234?view=full");
    CHECK(header_of(seen, "Authorization") == "apikey " + caiasoft_key);
    CHECK(boost::json::serialize(seen).find(caiasoft_token) == std::string::npos);
    // The script never sees the key.
    CHECK(r.body.find(caiasoft_key) == std::string::npos);
    for (const auto& [name, value] : r.headers) CHECK(value.find(caiasoft_key) == std::string::npos);
  }
}

TEST_CASE("the usual call reaches Alma with the script's own fields and nothing hop-by-hop") {
  // A bodyless call with plain fields: forwarded from its bytes (proxy/simple_request.hpp).
  gateway_fixture f;
  auto r = f.client.get(f.url("/almaws/v1/bibs/991234?view=brief"),
                        {{"Authorization", "apikey " + caiasoft_token},
                         {"User-Agent", "caiasoft-sync/1.0"},
                         {"Accept", "application/json"},
                         {"Keep-Alive", "timeout=5"},
                         {"Proxy-Authorization", "Basic Zm9vOmJhcg=="},
                         {"TE", "trailers"},
                         {"Content-Length", "0"}});
  CHECK(r.status == 200);
  auto seen = only_request(f.sim);
  CHECK(seen.at("target").as_string() == "/almaws/v1/bibs/991234?view=brief");
  CHECK(header_of(seen, "User-Agent") == "caiasoft-sync/1.0");
  CHECK(header_of(seen, "Accept") == "application/json");
  CHECK(header_of(seen, "Authorization") == "apikey " + caiasoft_key);
  CHECK(header_of(seen, "Keep-Alive").empty());
  CHECK(header_of(seen, "Proxy-Authorization").empty());
  CHECK(header_of(seen, "TE").empty());
  CHECK(boost::json::serialize(seen).find(caiasoft_token) == std::string::npos);
}

TEST_CASE("the environment prefix picks the environment's key") {
  gateway_fixture f;
  auto r = f.client.get(f.url("/sandbox/almaws/v1/users/jdoe?format=json"),
                        {{"Authorization", "Bearer " + caiasoft_token}});
  CHECK(r.status == 200);
  auto seen = only_request(f.sim);
  CHECK(seen.at("target").as_string() == "/almaws/v1/users/jdoe?format=json");
  CHECK(header_of(seen, "Authorization") == "apikey " + sandbox_key);
}

TEST_CASE("refused calls never reach the upstream") {
  gateway_fixture f;
  struct refused {
    const char* why;
    std::string method;
    std::string path;
    std::string token;
    int status;
    const char* code;
  };
  std::vector<refused> cases = {
      {"write with read access", "PUT", "/almaws/v1/users/jdoe", caiasoft_token, 403, "FORBIDDEN"},
      {"area not granted", "GET", "/almaws/v1/acq/vendors", caiasoft_token, 403, "FORBIDDEN"},
      {"read-only client writes", "POST", "/almaws/v1/bibs", labels_token, 403, "FORBIDDEN"},
      {"environment not granted", "GET", "/sandbox/almaws/v1/bibs/1", labels_token, 403,
       "FORBIDDEN"},
      {"unknown token", "GET", "/almaws/v1/bibs/1", "agt_nobody", 401, "UNAUTHORIZED"},
      {"no token", "GET", "/almaws/v1/bibs/1", "", 401, "UNAUTHORIZED"},
      {"unknown area", "GET", "/almaws/v1/widgets/1", caiasoft_token, 404, "ROUTING_ERROR"},
      {"not an API path", "GET", "/index.html", caiasoft_token, 404, "ROUTING_ERROR"},
      {"unknown environment", "GET", "/staging/almaws/v1/bibs/1", caiasoft_token, 404,
       "ROUTING_ERROR"},
      {"dot segment", "GET", "/almaws/v1/bibs/%2e%2e/conf/jobs", caiasoft_token, 400,
       "INVALID_REQUEST"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    header_list headers = {{"Accept", "application/json"}};
    if (!c.token.empty()) headers.push_back({"Authorization", "apikey " + c.token});
    auto r = f.client.request(c.method, f.url(c.path), headers, c.method == "GET" ? "" : "<bib/>");
    CHECK(r.status == c.status);
    auto error = r.json().at("errorList").at("error").at(0);
    CHECK(error.at("errorCode").as_string() == c.code);
    CHECK(error.at("trackingId").as_string() == r.header("X-Request-Id"));
  }
  CHECK(f.sim.requests().empty());
}

TEST_CASE("two different tokens in one call are refused") {
  gateway_fixture f;
  auto r = f.client.get(f.url("/almaws/v1/bibs/1?apikey=" + labels_token),
                        {{"Authorization", "apikey " + caiasoft_token}});
  CHECK(r.status == 400);
  CHECK(r.body.find("INVALID_REQUEST") != std::string::npos);
  CHECK(f.sim.requests().empty());
}

TEST_CASE("403 names the area and the access the call needed, in XML by default") {
  gateway_fixture f;
  auto r = f.client.request("DELETE", f.url("/almaws/v1/users/jdoe"),
                            {{"Authorization", "apikey " + caiasoft_token}});
  CHECK(r.status == 403);
  CHECK(r.header("Content-Type").find("application/xml") == 0);
  CHECK(r.body.find("<web_service_result xmlns=\"http://com/exlibris/urm/general/xmlbeans\">") !=
        std::string::npos);
  CHECK(r.body.find("<errorCode>FORBIDDEN</errorCode>") != std::string::npos);
  CHECK(r.body.find("read-write") != std::string::npos);
  CHECK(r.body.find("users") != std::string::npos);
  CHECK(r.body.find("<trackingId>" + r.header("X-Request-Id") + "</trackingId>") !=
        std::string::npos);
}

TEST_CASE("format=json wins for error bodies; JSON keeps Alma's shape") {
  gateway_fixture f;
  auto r = f.client.get(f.url("/almaws/v1/acq/funds?format=json"),
                        {{"Authorization", "apikey " + caiasoft_token}, {"Accept", "application/xml"}});
  CHECK(r.status == 403);
  auto body = r.json().as_object();
  CHECK(body.at("errorsExist").as_bool());
  CHECK(body.at("result").is_null());
  CHECK(body.at("errorList").at("error").at(0).at("errorCode").as_string() == "FORBIDDEN");
}

TEST_CASE("read-only POSTs pass with read access: op=auth and test paths") {
  gateway_fixture f;
  auto auth = f.client.request("POST", f.url("/almaws/v1/users/jdoe?op=auth&password=hunter2"),
                               {{"Authorization", "apikey " + caiasoft_token},
                                {"Exl-User-Pw", "hunter2"}});
  CHECK(auth.status / 100 == 2);
  auto test = f.client.request("POST", f.url("/almaws/v1/users/operation/test"),
                               {{"Authorization", "apikey " + caiasoft_token}});
  CHECK(test.status / 100 == 2);
  auto seen = f.sim.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].at("target").as_string() == "/almaws/v1/users/jdoe?op=auth&password=hunter2");
}

TEST_CASE("method-override headers are refused") {
  gateway_fixture f;
  auto r = f.client.request("POST", f.url("/almaws/v1/users/operation/test"),
                            {{"Authorization", "apikey " + caiasoft_token},
                             {"X-HTTP-Method-Override", "DELETE"}});
  CHECK(r.status == 400);
  CHECK(f.sim.requests().empty());
}

TEST_CASE("a 302 from Alma is rewritten to the gateway, keeping the environment prefix") {
  gateway_fixture f;
  auto r = f.client.get(f.url("/almaws/v1/items?item_barcode=39031031234567"),
                        {{"Authorization", "apikey " + caiasoft_token}});
  CHECK(r.status == 302);
  std::string location = r.header("Location");
  CHECK(location.rfind(f.gateway.base_url() + "/almaws/v1/bibs/", 0) == 0);

  auto sandbox = f.client.get(f.url("/sandbox/almaws/v1/items?item_barcode=39031031234567"),
                              {{"Authorization", "apikey " + caiasoft_token}});
  CHECK(sandbox.status == 302);
  CHECK(sandbox.header("Location").rfind(f.gateway.base_url() + "/sandbox/almaws/v1/bibs/", 0) ==
        0);

  // Following it stays behind the gateway and works with the same token.
  auto followed = f.client.get(location, {{"Authorization", "apikey " + caiasoft_token}});
  CHECK(followed.status == 200);
}

TEST_CASE("keep-alive: many calls over one connection to the script") {
  gateway_fixture f;
  http_client keep(client_options{.ca_file = f.sim.tls().ca_cert, .keep_alive = true});
  for (int i = 0; i < 20; ++i) {
    auto r = keep.get(f.url("/almaws/v1/bibs/" + std::to_string(i)),
                      {{"Authorization", "apikey " + caiasoft_token}});
    CHECK(r.status == 200);
  }
  CHECK(keep.connections_opened() == 1);
  CHECK(f.sim.requests().size() == 20);
}

namespace {
// Sends `pieces` over one plain connection (a pause between them, so that each arrives on its
// own) and reads `responses` whole responses back; their statuses and the X-Request-Ids.
struct raw_answers {
  std::vector<unsigned> statuses;
  std::vector<std::string> request_ids;
};
raw_answers send_in_pieces(std::uint16_t port, const std::vector<std::string>& pieces,
                           std::size_t responses) {
  namespace net = boost::asio;
  namespace http = boost::beast::http;
  net::io_context io;
  net::ip::tcp::socket socket(io);
  socket.connect({net::ip::make_address("127.0.0.1"), port});
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));  // input shaping
    net::write(socket, net::buffer(pieces[i]));
  }
  raw_answers out;
  boost::beast::flat_buffer buffer;
  for (std::size_t i = 0; i < responses; ++i) {
    http::response<http::string_body> res;
    boost::system::error_code ec;
    http::read(socket, buffer, res, ec);
    if (ec) break;
    out.statuses.push_back(res.result_int());
    out.request_ids.emplace_back(res["X-Request-Id"]);
  }
  return out;
}
}  // namespace

TEST_CASE("refusals to a script that reads late arrive whole and in order") {
  // 20,000 pipelined calls refused (an area not granted), then one forwarded, all written
  // before the script reads anything: some 9 MB of answers, more than the sockets' buffers
  // hold, so the kernel takes refusals in part and the gateway sends the rest later.
  gateway_fixture f;
  namespace net = boost::asio;
  namespace http = boost::beast::http;
  const std::string auth = "Authorization: apikey " + caiasoft_token + "\r\n";
  const std::string refused = "GET /almaws/v1/acq/vendors HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth + "\r\n";
  const std::string forwarded = "GET /almaws/v1/bibs/31 HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth + "\r\n";
  constexpr std::size_t count = 20000;
  std::string calls;
  calls.reserve(refused.size() * count + forwarded.size());
  for (std::size_t i = 0; i < count; ++i) calls += refused;
  calls += forwarded;

  net::io_context io;
  net::ip::tcp::socket socket(io);
  // A small receive buffer (the kernel would grow it to hold all the answers).
  socket.open(net::ip::tcp::v4());
  socket.set_option(net::socket_base::receive_buffer_size(64 * 1024));
  socket.connect({net::ip::make_address("127.0.0.1"), f.gateway.port()});
  std::atomic<bool> written{false};
  std::thread writer([&] {
    boost::system::error_code ec;
    net::write(socket, net::buffer(calls), ec);
    written = true;
  });
  // Reads once everything is written (or, should the buffers hold less than that, after 5 s).
  wait_for([&] { return written.load(); }, std::chrono::seconds(5));
  std::size_t refusals = 0;
  unsigned last = 0;
  boost::beast::flat_buffer buffer;
  for (std::size_t i = 0; i <= count; ++i) {
    http::response<http::string_body> res;
    boost::system::error_code ec;
    http::read(socket, buffer, res, ec);
    if (ec) break;
    last = res.result_int();
    if (i < count && last == 403 && res.body().find("<errorCode>") != std::string::npos)
      ++refusals;
  }
  writer.join();
  CHECK(refusals == count);
  CHECK(last == 200);
  auto requests = f.sim.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].at("target").as_string() == "/almaws/v1/bibs/31");
}

TEST_CASE("a header arriving in pieces is read whole; pipelined calls are answered in order") {
  gateway_fixture f;
  const std::string auth = "Authorization: apikey " + caiasoft_token + "\r\n";
  // The header split mid-field and again before its blank line.
  auto split = send_in_pieces(f.gateway.port(),
                              {"GET /almaws/v1/bibs/11 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthor",
                               auth.substr(6), "\r\n"},
                              1);
  REQUIRE(split.statuses.size() == 1);
  CHECK(split.statuses[0] == 200);
  auto seen = only_request(f.sim);
  CHECK(seen.at("target").as_string() == "/almaws/v1/bibs/11");
  CHECK(header_of(seen, "Authorization") == "apikey " + caiasoft_key);
  f.sim.clear();

  // Three calls in one write, the last refused (an area not granted): three answers, in order.
  std::string three;
  for (const char* target : {"/almaws/v1/bibs/21", "/almaws/v1/bibs/22", "/almaws/v1/acq/vendors"})
    three += std::string("GET ") + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth + "\r\n";
  auto pipelined = send_in_pieces(f.gateway.port(), {three}, 3);
  CHECK(pipelined.statuses == std::vector<unsigned>{200, 200, 403});
  REQUIRE(pipelined.request_ids.size() == 3);
  CHECK(pipelined.request_ids[0] != pipelined.request_ids[1]);
  auto requests = f.sim.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].at("target").as_string() == "/almaws/v1/bibs/21");
  CHECK(requests[1].at("target").as_string() == "/almaws/v1/bibs/22");
}
