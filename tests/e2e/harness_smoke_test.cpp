// The end-to-end test harness itself: PKI, processes, waiting, HTTP client, simulator.

#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio.hpp>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "tests/support/concurrent.hpp"
#include "tests/support/gateway_server.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/port_file.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sim_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/support/wait.hpp"

namespace almagate::test {
namespace {

using namespace std::chrono_literals;

X509* load_cert(const std::filesystem::path& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  REQUIRE(f != nullptr);
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  return cert;
}

// Answers one connection on 127.0.0.1 with `reply`, keeping what it read.
class one_shot_server {
 public:
  explicit one_shot_server(std::string reply)
      : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
        thread_([this, reply = std::move(reply)] {
          auto socket = acceptor_.accept();
          char buf[4096];
          boost::system::error_code ec;
          while (received_.find("\r\n\r\n") == std::string::npos && !ec)
            received_.append(buf, socket.read_some(boost::asio::buffer(buf), ec));
          boost::asio::write(socket, boost::asio::buffer(reply), ec);
          done_ = true;
        }) {}
  ~one_shot_server() { thread_.join(); }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  const std::string& received() const { return received_; }
  bool done() const { return done_; }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::string received_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

constexpr const char* canned_reply =
    "HTTP/1.1 201 Created\r\nX-Exl-Api-Remaining: 42\r\nSet-Cookie: a=1\r\n"
    "Set-Cookie: b=2\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";

}  // namespace

TEST_CASE("temp_dir writes files and removes itself") {
  std::filesystem::path kept;
  {
    temp_dir dir;
    kept = dir.path();
    const auto file = dir.write_file("a.txt", "some text");
    CHECK(file == dir.path() / "a.txt");
    CHECK(read_text_file(file) == "some text");
  }
  if (std::getenv("ALMAGATE_KEEP_TEST_DIRS") == nullptr) CHECK_FALSE(std::filesystem::exists(kept));
}

TEST_CASE("make_test_pki writes a CA and a localhost server certificate OpenSSL accepts") {
  temp_dir dir;
  const tls_material tls = make_test_pki(dir);
  CHECK(tls.ca_cert == dir.path() / "ca.pem");
  X509* ca = load_cert(tls.ca_cert);
  X509* server = load_cert(tls.server_cert);
  REQUIRE(ca != nullptr);
  REQUIRE(server != nullptr);

  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, server, nullptr);
  X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
  CHECK(X509_verify_cert(ctx) == 1);
  CHECK(X509_check_host(server, "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_ip_asc(server, "127.0.0.1", 0) == 1);
  CHECK(X509_check_host(server, "example.org", 0, 0, nullptr) == 0);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);

  SSL_CTX* ssl = SSL_CTX_new(TLS_server_method());
  CHECK(SSL_CTX_use_certificate_chain_file(ssl, tls.server_cert.c_str()) == 1);
  CHECK(SSL_CTX_use_PrivateKey_file(ssl, tls.server_key.c_str(), SSL_FILETYPE_PEM) == 1);
  CHECK(SSL_CTX_check_private_key(ssl) == 1);
  SSL_CTX_free(ssl);
  X509_free(server);
  X509_free(ca);

  // Generated once per process: a second directory gets the same CA.
  temp_dir other;
  CHECK(read_text_file(make_test_pki(other).ca_cert) == read_text_file(tls.ca_cert));
}

TEST_CASE("process captures output, passes environment and reports exit codes") {
  process echo("/bin/echo", {"hello", "world"});
  REQUIRE(echo.wait(10s).has_value());
  CHECK(echo.exit_code() == 0);
  CHECK(echo.stdout_text() == "hello world\n");

  process sh("/bin/sh", {"-c", "echo \"$ALMAGATE_SMOKE\" >&2; exit 3"}, {{"ALMAGATE_SMOKE", "x y"}});
  CHECK(sh.wait(10s) == 3);
  CHECK(sh.stderr_text() == "x y\n");

  process sleeper("/bin/sleep", {"30"});
  CHECK(sleeper.running());
  CHECK(sleeper.terminate() == -SIGTERM);
  CHECK_FALSE(sleeper.running());

  CHECK_THROWS_AS(process("/nonexistent/program", {}), std::runtime_error);
}

TEST_CASE("wait_for returns false at its deadline and true once the condition holds") {
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(wait_for([] { return false; }, 50ms));
  CHECK(std::chrono::steady_clock::now() - start >= 50ms);

  int calls = 0;
  CHECK(wait_for([&] { return ++calls == 3; }, 10s, 1ms));
  CHECK(calls == 3);
}

TEST_CASE("read_port_file reads a key once the file parses, and times out without it") {
  temp_dir dir;
  const auto path = dir.write_file("x.port", R"({"listen": 4321, "admin": 4322})");
  CHECK(read_port_file(path, "listen", 1s) == 4321);
  CHECK(read_port_file(path, "admin", 1s) == 4322);
  CHECK_THROWS_AS(read_port_file(path, "port", 50ms), std::runtime_error);
  dir.write_file("half.port", R"({"listen": 43)");
  CHECK_FALSE(try_read_port(dir.file("half.port"), "listen").has_value());
}

TEST_CASE("http_client sends headers and body, reads repeated headers") {
  one_shot_server server(canned_reply);
  http_client client;
  const auto r = client.request("POST", "http://127.0.0.1:" + std::to_string(server.port()) + "/almaws/v1/bibs?view=brief",
                                {{"X-Test", "1"}, {"X-Test", "2"}}, "body!");
  CHECK_FALSE(r.error);
  CHECK(r.status == 201);
  CHECK(r.body == "hello");
  CHECK(r.header("x-exl-api-remaining") == "42");
  CHECK(r.header_all("Set-Cookie") == std::vector<std::string>{"a=1", "b=2"});
  CHECK_FALSE(r.has_header("X-Missing"));
  REQUIRE(wait_for([&] { return server.done(); }, 10s));
  CHECK(server.received().starts_with("POST /almaws/v1/bibs?view=brief HTTP/1.1\r\n"));
  CHECK(server.received().find("X-Test: 1\r\nX-Test: 2\r\n") != std::string::npos);
  CHECK(server.received().find("Content-Length: 5\r\n") != std::string::npos);
}

TEST_CASE("raw_request writes bytes as they are and returns the raw response") {
  one_shot_server server(canned_reply);
  const std::string text =
      raw_request("127.0.0.1", server.port(), "GET /a b/../c HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(text.starts_with("HTTP/1.1 201 Created\r\n"));
  CHECK(text.ends_with("\r\n\r\nhello"));
  CHECK(server.received().starts_with("GET /a b/../c HTTP/1.1\r\n"));
}

TEST_CASE("http_client reports a refused connection as an error value") {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = probe.local_endpoint().port();
  probe.close();
  http_client client({.ca_file = {}, .timeout = 5s, .keep_alive = false});
  const auto r = client.get("http://127.0.0.1:" + std::to_string(port) + "/");
  CHECK(r.status == 0);
  CHECK(r.error);
}

TEST_CASE("sim_server answers over HTTPS and records what it received") {
  if (!std::filesystem::exists(ALMA_SIM_BIN)) {
    MESSAGE("skipped: " << ALMA_SIM_BIN << " is not built yet");
    return;
  }
  sim_options options;
  options.keys.push_back({"l7xx-sim-prod-smoke", "production", {{"bibs", "read-write"}, {"users", "read"}}});
  sim_server sim(options);
  CHECK(sim.port() != 0);
  CHECK(sim.base_url() == "https://localhost:" + std::to_string(sim.port()));

  const auto r = sim.client().get(sim.base_url() + "/almaws/v1/bibs/test?format=json",
                                  {{"Authorization", "apikey l7xx-sim-prod-smoke"}});
  CHECK_FALSE(r.error);
  CHECK(r.status == 200);

  auto recorded = sim.requests();
  REQUIRE(recorded.size() == 1);
  const auto& first = recorded[0].as_object();
  CHECK(first.at("method").as_string() == "GET");
  CHECK(first.at("target").as_string() == "/almaws/v1/bibs/test?format=json");
  CHECK(first.at("status").to_number<int>() == 200);

  // 3 MB up without holding it: the simulator counts every byte.
  const auto up = sim.client().request_streaming(
      "POST", sim.base_url() + "/almaws/v1/bibs?format=json",
      {{"Authorization", "apikey l7xx-sim-prod-smoke"}, {"Content-Type", "application/xml"}},
      3'000'000);
  CHECK_FALSE(up.error);
  CHECK(up.sent_bytes == 3'000'000);
  recorded = sim.requests();
  REQUIRE(recorded.size() == 2);
  CHECK(recorded[1].as_object().at("body_bytes").to_number<std::uint64_t>() == 3'000'000);

  // 5 MB down, counted without holding it.
  const auto down = sim.client().request_streaming(
      "GET", sim.base_url() + "/almaws/v1/bibs/99123?sim_size=5000000",
      {{"Authorization", "apikey l7xx-sim-prod-smoke"}}, 0);
  CHECK_FALSE(down.error);
  CHECK(down.status == 200);
  CHECK(down.body_bytes == 5'000'000);

  CHECK(sim.stats().size() > 0);
  sim.clear();
  CHECK(sim.requests().empty());

  // Parallel calls, one client per thread.
  const auto statuses = run_concurrently(
      4, 5, sim.client_settings(), [&](http_client& c, std::size_t, std::size_t) {
        return c.get(sim.base_url() + "/almaws/v1/bibs/test",
                     {{"Authorization", "apikey l7xx-sim-prod-smoke"}})
            .status;
      });
  CHECK(count_statuses(statuses)[200] == 20);
  CHECK(sim.requests().size() == 20);

  // keep_alive reuses one connection.
  client_options reuse = sim.client_settings();
  reuse.keep_alive = true;
  http_client kept(reuse);
  CHECK(kept.get(sim.base_url() + "/_sim/stats").status == 200);
  CHECK(kept.get(sim.base_url() + "/_sim/stats").status == 200);
  CHECK(kept.connections_opened() == 1);

  // Without the test CA the certificate is refused.
  http_client untrusting;
  const auto refused = untrusting.get(sim.base_url() + "/_sim/stats");
  CHECK(refused.status == 0);
  CHECK(refused.error);
}

TEST_CASE("gateway_server runs almagate in front of the simulator, stops and restarts it") {
  if (!std::filesystem::exists(ALMAGATE_BIN) || !std::filesystem::exists(ALMA_SIM_BIN)) {
    MESSAGE("skipped: " << ALMAGATE_BIN << " or " << ALMA_SIM_BIN << " is not built yet");
    return;
  }
  sim_options sim_opts;
  sim_opts.keys.push_back({"l7xx-sim-prod-smoke", "production", {{"bibs", "read-write"}}});
  sim_server sim(sim_opts);

  gateway_options options;
  options.config_text = "listen: \"127.0.0.1:0\"\n"
                        "store: memory\n"
                        "upstream_ca: \"" + sim.tls().ca_cert.string() + "\"\n"
                        "environments:\n"
                        "  production: { upstream: \"" + sim.base_url() + "\", default: true }\n"
                        "keys:\n"
                        "  smoke: { environment: production, secret_env: SMOKE_KEY, areas: { bibs: read-write } }\n"
                        "clients:\n"
                        "  smoke-client:\n"
                        "    token_sha256: \"" + sha256_hex("smoke-token") + "\"\n"
                        "    access:\n"
                        "      production: { key: smoke, areas: { bibs: read } }\n";
  options.env = {{"SMOKE_KEY", "l7xx-sim-prod-smoke"}};
  gateway_server gw(options);
  CHECK(gw.port() != 0);
  CHECK(gw.base_url() == "http://127.0.0.1:" + std::to_string(gw.port()));

  http_client client;
  const auto r = client.get(gw.base_url() + "/almaws/v1/bibs/test",
                            {{"Authorization", "Bearer smoke-token"}});
  CHECK_FALSE(r.error);
  CHECK(r.status == 200);
  const auto recorded = sim.requests();
  REQUIRE(recorded.size() == 1);
  CHECK(recorded[0].as_object().at("target").as_string().starts_with("/almaws/v1/bibs/test"));

  const auto first_port = gw.port();
  CHECK(gw.stop() == 0);
  gw.restart();
  CHECK(gw.process().running());
  CHECK(client.get(gw.base_url() + "/almaws/v1/bibs/test",
                   {{"Authorization", "Bearer smoke-token"}}).status == 200);
  MESSAGE("ports: " << first_port << " then " << gw.port());
  // The key never reaches a log line.
  CHECK(gw.process().stderr_text().find("l7xx-sim-prod-smoke") == std::string::npos);
  CHECK(gw.process().stdout_text().find("l7xx-sim-prod-smoke") == std::string::npos);
}

}  // namespace almagate::test
