#include "proxy/admin_reports.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "proxy/admin_auth.hpp"
#include "proxy/admin_test_fixture.hpp"

using namespace almagate;

TEST_CASE("csv_field quotes only what RFC 4180 needs quoted") {
  CHECK(csv_field("plain") == "plain");
  CHECK(csv_field("") == "");
  CHECK(csv_field("a,b") == "\"a,b\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(csv_field("cr\r") == "\"cr\r\"");
}

TEST_CASE("reports read back from their own JSON unchanged") {
  test::fake_admin_backend backend;
  net::io_context ioc;
  std::optional<usage_report> usage;
  std::optional<clients_report> clients;
  net::co_spawn(ioc, [&]() -> awaitable<void> {
    usage = (co_await backend.usage(std::nullopt)).value;
    clients = (co_await backend.clients()).value;
  }, net::detached);
  ioc.run();
  REQUIRE(usage);
  REQUIRE(clients);

  auto usage_back = usage_report_from_json(to_json(*usage));
  REQUIRE(usage_back);
  CHECK(usage_back->date == usage->date);
  REQUIRE(usage_back->rows.size() == usage->rows.size());
  CHECK(usage_back->rows[1].status_class == 4);
  CHECK(usage_back->rows[2].client == "odd,\"name\"");
  CHECK(usage_back->pools.at(0).used == 1234);

  auto clients_back = clients_report_from_json(to_json(*clients));
  REQUIRE(clients_back);
  REQUIRE(clients_back->clients.size() == 2);
  CHECK(clients_back->clients[0].configured_quota == 5000);
  CHECK(!clients_back->clients[0].quota_override);
  CHECK(clients_back->clients[1].quota_override == 50);
  CHECK(clients_back->clients[0].grants.at(0).areas.size() == 2);

  quota_change change{"c", std::nullopt, 7};
  auto change_back = quota_change_from_json(to_json(change));
  REQUIRE(change_back);
  CHECK(change_back->quota_override == 7);
  CHECK(!change_back->configured_quota);

  CHECK(!usage_report_from_json(boost::json::parse(R"({"date":"x"})")));
  CHECK(!clients_report_from_json(boost::json::parse("[]")));
}

TEST_CASE("is_valid_date accepts real calendar dates only") {
  CHECK(is_valid_date("2026-11-29"));
  CHECK(is_valid_date("2024-02-29"));
  CHECK(!is_valid_date("2026-02-29"));
  CHECK(!is_valid_date("1900-02-29"));
  CHECK(is_valid_date("2000-02-29"));
  CHECK(!is_valid_date("2026-13-01"));
  CHECK(!is_valid_date("2026-1-01"));
  CHECK(!is_valid_date("2026-11-29x"));
  CHECK(!is_valid_date(""));
}

TEST_CASE("admin_token_matches checks a Bearer token against its SHA-256") {
  auto hash = sha256_hex("secret-admin");
  CHECK(admin_token_matches("Bearer secret-admin", hash));
  CHECK(admin_token_matches("bearer secret-admin", hash));
  CHECK(!admin_token_matches("Bearer secret-admin2", hash));
  CHECK(!admin_token_matches("apikey secret-admin", hash));
  CHECK(!admin_token_matches("Bearer ", hash));
  CHECK(!admin_token_matches("", hash));
  CHECK(!admin_token_matches("Bearer secret-admin", ""));
  CHECK(!admin_token_matches("Bearer " + sha256_hex("x"), sha256_hex("x")));
}
