// Reload and shutdown: SIGHUP swaps in a valid config without dropping calls and refuses an
// invalid one; SIGTERM lets calls in flight finish, then exits 0.

#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <thread>

#include "tests/e2e/fixture.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

using namespace almagate::test;

namespace {

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

const std::string newcomer_token = "agt_newcomer-token-CCCCCCCCCCCCCCCCCCCCCCCCCCC";

std::string newcomer_client() {
  return "  newcomer:\n    token_sha256: \"" + almagate::sha256_hex(newcomer_token) +
         "\"\n    access: { production: { key: labels-production, areas: { bibs: read } } }\n";
}

}  // namespace

TEST_CASE("reloading repeatedly under steady load fails no call") {
  gateway_fixture f;
  const std::string original = read_text_file(f.gateway.config_path());
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::thread load([&] {
    http_client c(client_options{.ca_file = f.sim.tls().ca_cert, .keep_alive = true});
    for (int i = 0; i < 50000 && !stop; ++i) {
      auto r = c.get(f.url("/almaws/v1/bibs/1"), {{"Authorization", "apikey " + caiasoft_token}});
      (r.status == 200 ? ok : failed)++;
    }
  });
  REQUIRE(wait_for([&] { return ok >= 10; }, std::chrono::seconds(10)));

  for (int i = 1; i <= 10; ++i) {
    // Alternate between the original config and one with a new client.
    std::string next = i % 2 ? original + newcomer_client() : original;
    f.gateway.dir().write_file("almagate.yaml.tmp", next);
    std::filesystem::rename(f.gateway.dir().file("almagate.yaml.tmp"), f.gateway.config_path());
    int before = ok;
    f.gateway.process().send_signal(SIGHUP);
    CHECK(wait_for(
        [&] {
          return count_of(f.gateway.process().stderr_text(), "config reloaded") ==
                 static_cast<std::size_t>(i);
        },
        std::chrono::seconds(10)));
    auto newcomer = f.client.get(f.url("/almaws/v1/bibs/1"),
                                 {{"Authorization", "apikey " + newcomer_token}});
    CHECK(newcomer.status == (i % 2 ? 200 : 401));
    CHECK(wait_for([&] { return ok > before + 5; }, std::chrono::seconds(10)));
  }
  stop = true;
  load.join();
  CHECK(failed == 0);
  CHECK(ok > 50);
}

TEST_CASE("an invalid config is refused on reload and the running one kept") {
  gateway_fixture f;
  f.gateway.dir().write_file("almagate.yaml", "listen: [oops\n");
  f.gateway.process().send_signal(SIGHUP);
  CHECK(wait_for(
      [&] { return f.gateway.process().stderr_text().find("config reload refused") != std::string::npos; },
      std::chrono::seconds(10)));
  auto r = f.client.get(f.url("/almaws/v1/bibs/1"), {{"Authorization", "apikey " + caiasoft_token}});
  CHECK(r.status == 200);
  CHECK(f.gateway.process().running());
}

TEST_CASE("SIGTERM lets a call in flight finish, then exits 0") {
  gateway_fixture f;
  f.sim.set_thresholds(std::nullopt, std::nullopt, 700);  // every answer takes 0.7 s
  std::atomic<int> status{-1};
  std::thread slow([&] {
    http_client c(client_options{.ca_file = f.sim.tls().ca_cert});
    status = c.get(f.url("/almaws/v1/bibs/1"), {{"Authorization", "apikey " + caiasoft_token}}).status;
  });
  // Signal once the call has reached the simulator.
  REQUIRE(wait_for([&] { return !f.sim.requests().empty(); }, std::chrono::seconds(10)));
  f.gateway.process().send_signal(SIGTERM);
  auto exit_code = f.gateway.process().wait(std::chrono::seconds(10));
  slow.join();
  CHECK(status == 200);
  REQUIRE(exit_code.has_value());
  CHECK(*exit_code == 0);
}
