// Bodies stream through with bounded memory; limits and deadlines answer Alma-style errors.

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <fstream>

#include "tests/e2e/fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace almagate::test;

namespace {

// The gateway's peak resident memory (VmHWM), in KiB.
long peak_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

constexpr std::uint64_t big = 200ull * 1024 * 1024;

}  // namespace

TEST_CASE("a 200 MB upload and a 200 MB download stream through without being held") {
  gateway_fixture f;
  auto up = f.client.request_streaming("POST", f.url("/almaws/v1/bibs?format=json"),
                                       {{"Authorization", "apikey " + caiasoft_token},
                                        {"Content-Type", "application/xml"}},
                                       big);
  CHECK(up.status == 200);
  CHECK(up.sent_bytes == big);
  auto seen = f.sim.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].at("body_bytes").to_number<std::uint64_t>() == big);

  auto down = f.client.request_streaming(
      "GET", f.url("/almaws/v1/bibs/991234?sim_size=" + std::to_string(big)),
      {{"Authorization", "apikey " + caiasoft_token}}, 0);
  CHECK(down.status == 200);
  CHECK(down.body_bytes == big);

  // Chunked upload too: the gateway re-frames it chunk by chunk.
  auto chunked = f.client.request_streaming(
      "PUT", f.url("/almaws/v1/bibs/991234"),
      {{"Authorization", "apikey " + caiasoft_token}, {"Transfer-Encoding", "chunked"}},
      16ull * 1024 * 1024);
  CHECK(chunked.status == 200);
  CHECK(f.sim.requests().back().at("body_bytes").to_number<std::uint64_t>() == 16ull * 1024 * 1024);

  long peak = peak_rss_kib(f.gateway.process().pid());
  CAPTURE(peak);
  CHECK(peak > 0);
  CHECK(peak < 64 * 1024);  // far below the 200 MB that passed through
}

TEST_CASE("a body over max_body_bytes is refused with 413 before it reaches Alma") {
  gateway_fixture f(fixture_options{.extra_config = "limits: { max_body_bytes: 1048576 }\n"});
  auto r = f.client.request("POST", f.url("/almaws/v1/bibs?format=json"),
                            {{"Authorization", "apikey " + caiasoft_token}},
                            std::string(2 * 1024 * 1024, 'x'));
  CHECK(r.status == 413);
  CHECK(r.json().at("errorList").at("error").at(0).at("errorCode").as_string() ==
        "REQUEST_TOO_LARGE");
  CHECK(f.sim.requests().empty());
}

TEST_CASE("a header over max_header_bytes is refused with 413") {
  gateway_fixture f(fixture_options{.extra_config = "limits: { max_header_bytes: 4096 }\n"});
  auto r = f.client.get(f.url("/almaws/v1/bibs/1"), {{"Authorization", "apikey " + caiasoft_token},
                                                     {"X-Padding", std::string(8000, 'p')}});
  CHECK(r.status == 413);
  CHECK(r.body.find("REQUEST_TOO_LARGE") != std::string::npos);
  CHECK(f.sim.requests().empty());
}

TEST_CASE("malformed targets sent raw are refused with INVALID_REQUEST") {
  gateway_fixture f;
  for (std::string target : {"/almaws/v1/bibs/..%2f..%2fconf", "/almaws/v1/bibs/a;jsessionid=1",
                             "/almaws/v1//bibs", "/almaws/v1/bibs/%5c..%5cconf"}) {
    CAPTURE(target);
    std::string raw = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: apikey " +
                      caiasoft_token + "\r\nConnection: close\r\n\r\n";
    auto answer = raw_request("127.0.0.1", f.gateway.port(), raw);
    CHECK(answer.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(answer.find("INVALID_REQUEST") != std::string::npos);
  }
  CHECK(f.sim.requests().empty());
}

TEST_CASE("hop-by-hop headers stop at the gateway") {
  gateway_fixture f;
  auto r = f.client.get(f.url("/almaws/v1/bibs/1"),
                        {{"Authorization", "apikey " + caiasoft_token},
                         {"Connection", "keep-alive, X-Secret-Hop"},
                         {"X-Secret-Hop", "do-not-forward"},
                         {"Proxy-Authorization", "Basic Zm9vOmJhcg=="},
                         {"X-End-To-End", "forward-me"}});
  CHECK(r.status == 200);
  auto seen = f.sim.requests().at(0).at("headers").as_object();
  std::string all = boost::json::serialize(seen);
  CHECK(all.find("do-not-forward") == std::string::npos);
  CHECK(all.find("Zm9vOmJhcg") == std::string::npos);
  CHECK(all.find("forward-me") != std::string::npos);
}

TEST_CASE("scripts can reach the gateway over TLS") {
  gateway_fixture f(fixture_options{.gateway_tls = true});
  CHECK(f.gateway.base_url().rfind("https://", 0) == 0);
  auto r = f.client.get(f.url("/almaws/v1/bibs/1?format=json"),
                        {{"Authorization", "apikey " + caiasoft_token}});
  CHECK(r.status == 200);
  auto redirect = f.client.get(f.url("/almaws/v1/items?item_barcode=1"),
                               {{"Authorization", "apikey " + caiasoft_token}});
  CHECK(redirect.header("Location").rfind(f.gateway.base_url() + "/almaws/v1/", 0) == 0);
}

TEST_CASE("an unreachable upstream answers 502 GENERAL_ERROR") {
  gateway_fixture f;
  f.sim.process().terminate();
  auto r = f.client.get(f.url("/almaws/v1/bibs/1?format=json"),
                        {{"Authorization", "apikey " + caiasoft_token}});
  CHECK(r.status == 502);
  CHECK(r.json().at("errorList").at("error").at(0).at("errorCode").as_string() == "GENERAL_ERROR");
}

TEST_CASE("an upstream whose certificate is not trusted: 502, and nothing reaches it") {
  gateway_fixture f(fixture_options{.trust_upstream = false});
  for (int i = 0; i < 2; ++i) {
    auto r = f.client.get(f.url("/almaws/v1/bibs/1?format=json"),
                          {{"Authorization", "apikey " + caiasoft_token}});
    CHECK(r.status == 502);
    CHECK(r.json().at("errorList").at("error").at(0).at("errorCode").as_string() ==
          "GENERAL_ERROR");
  }
  CHECK(f.sim.requests().empty());
  CHECK(f.gateway_output().find("certificate verify failed") != std::string::npos);
}

TEST_CASE("no key, token or password reaches the gateway's logs") {
  gateway_fixture f;
  f.client.get(f.url("/almaws/v1/bibs/1?apikey=" + caiasoft_token));
  f.client.get(f.url("/almaws/v1/bibs/1"), {{"Authorization", "Bearer " + labels_token}});
  f.client.request("POST", f.url("/almaws/v1/users/jdoe?op=auth&password=hunter2"),
                   {{"Authorization", "apikey " + caiasoft_token}, {"Exl-User-Pw", "s3cr3t-pw"}});
  f.client.get(f.url("/almaws/v1/bibs/1?apikey=agt_wrong-token-zzz"));
  f.client.request("DELETE", f.url("/almaws/v1/users/jdoe?password=hunter2"),
                   {{"Authorization", "apikey " + caiasoft_token}});
  f.client.get(f.url("/almaws/v1/bibs/%2e%2e?apikey=" + caiasoft_token + "&password=hunter2"));
  std::string out = f.gateway_output();
  CAPTURE(out);
  CHECK(out.find("\"client\":\"caiasoft-sync\"") != std::string::npos);  // the log is there
  for (const std::string& secret : {caiasoft_token, labels_token, caiasoft_key, labels_key,
                                    std::string("hunter2"), std::string("s3cr3t-pw"),
                                    std::string("agt_wrong-token-zzz")})
    CHECK(out.find(secret) == std::string::npos);
}
