// The usage dashboard in a real browser: two gateways on Redis in front of the simulator,
// some traffic, then tests/dashboard/check_dashboard.mjs opens the page in headless Chromium
// and reports what it shows; this side compares it with the admin API. Skips, with a message,
// only where node, Chromium or playwright-core is not installed.

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>

#include "tests/e2e/budget_fixture.hpp"
#include "tests/support/process.hpp"
#include "tests/support/wait.hpp"

using namespace almagate::test;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const std::string admin_token = "agt_admin-token-EEEEEEEEEEEEEEEEEEEEEEEEEEEEEE";
const budget_client core{"patron-requests", "core"};
const budget_client caiasoft{"caiasoft-sync", "standard", 5};
const budget_client labels{"spine-labels", "batch", 3};

header_list bearer() { return {{"Authorization", "Bearer " + admin_token}}; }

// `name` on PATH, or empty.
fs::path on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    auto end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    fs::path candidate = fs::path(dirs.substr(start, end - start)) / name;
    if (!candidate.empty() && fs::exists(candidate)) return candidate;
    start = end + 1;
  }
  return {};
}

// Why the browser test cannot run here, or empty.
std::string missing_browser_tools(const fs::path& node, const fs::path& chromium,
                                  const fs::path& dashboard_dir) {
  if (node.empty()) return "node is not installed (Debian: apt-get install nodejs npm)";
  if (chromium.empty()) return "chromium is not installed (Debian: apt-get install chromium)";
  if (!fs::exists(dashboard_dir / "node_modules" / "playwright-core" / "package.json"))
    return "playwright-core is not installed (run: npm ci --prefix tests/dashboard)";
  return {};
}

json::value get_json(budget_fixture& f, std::size_t gateway, const std::string& target) {
  auto r = f.client.get(f.gateways[gateway]->admin_url() + target, bearer());
  REQUIRE(r.status == 200);
  return r.json();
}

std::int64_t as_int(const json::value& v) { return v.to_number<std::int64_t>(); }

// almagate_calls_total summed by outcome, from one gateway's /metrics.
std::int64_t metric_outcome(budget_fixture& f, const std::string& outcome) {
  auto r = f.client.get(f.gateways[0]->admin_url() + "/metrics", bearer());
  REQUIRE(r.status == 200);
  std::int64_t sum = 0;
  std::size_t at = 0;
  const std::string label = "outcome=\"" + outcome + "\"} ";
  while ((at = r.body.find(label, at)) != std::string::npos) {
    at += label.size();
    sum += std::stoll(r.body.substr(at, r.body.find('\n', at) - at));
  }
  return sum;
}

const json::object& by_key(const json::value& list, std::string_view key, std::string_view id) {
  for (const auto& e : list.as_array())
    if (e.at(key).as_string() == id) return e.as_object();
  FAIL("no entry " << id);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("dashboard: headless Chromium shows what the API reports and changes a quota") {
  const fs::path dashboard_dir = fs::path(ALMAGATE_SOURCE_DIR) / "tests" / "dashboard";
  const fs::path node = on_path("node");
  const fs::path chromium = fs::exists("/usr/bin/chromium") ? fs::path("/usr/bin/chromium")
                                                            : on_path("chromium");
  if (auto missing = missing_browser_tools(node, chromium, dashboard_dir); !missing.empty()) {
    MESSAGE("SKIPPED: the dashboard browser test needs node, chromium and playwright-core: "
            << missing);
    return;
  }

  budget_fixture f({.daily_limit = 100, .clients = {core, caiasoft, labels}, .store = "redis",
                    .gateways = 2, .admin_token = admin_token});
  // Gateway 0 serves the page: its /metrics has the refusals (2 + 1 for quota).
  for (int i = 0; i < 7; ++i) f.call(caiasoft, 0);
  for (int i = 0; i < 4; ++i) f.call(labels, 0);
  for (int i = 0; i < 4; ++i) CHECK(f.call(core, 0).status == 200);
  for (int i = 0; i < 2; ++i) CHECK(f.call(core, 1).status == 200);  // same pool, other instance
  const std::int64_t forwarded = 5 + 3 + 4 + 2;

  // Usage lines and hourly counts are written fire-and-forget: wait until both show up.
  json::value usage, hours;
  REQUIRE(wait_for(
      [&] {
        usage = get_json(f, 0, "/v1/usage");
        hours = get_json(f, 0, "/v1/usage/hours");
        std::int64_t lines = 0;
        for (const auto& row : usage.at("usage").as_array()) lines += as_int(row.at("calls"));
        const auto& h = hours.at("pools").at(0).at("hours").as_array();
        std::int64_t hourly = 0;
        for (const auto& n : h) hourly += as_int(n);
        return lines == forwarded && hourly == forwarded;
      },
      std::chrono::seconds(10)));
  const auto clients = get_json(f, 0, "/v1/clients");
  const std::int64_t refused_quota = metric_outcome(f, "refused_quota");
  CHECK(refused_quota == 3);

  const fs::path out_dir = fs::path(ALMAGATE_BIN).parent_path();
  const fs::path shot = out_dir / "dashboard.png";
  const fs::path shot200 = out_dir / "dashboard-200.png";
  fs::remove(shot);
  fs::remove(shot200);
  process browser(node.string(),
                  {(dashboard_dir / "check_dashboard.mjs").string(), f.gateways[0]->admin_url(),
                   admin_token, shot.string(), shot200.string(), caiasoft.id, "9"},
                  {{"CHROMIUM", chromium.string()}});
  auto code = browser.wait(std::chrono::seconds(120));
  REQUIRE_MESSAGE(code == std::optional<int>(0), browser.describe());
  const auto page = json::parse(browser.stdout_text());
  const auto& before = page.at("before");

  // Today's pool: used, remaining, projection against /v1/usage and /v1/usage/hours.
  const auto& api_pool = usage.at("pools").at(0);
  const auto& shown_pool = before.at("pools").at(0);
  CHECK(shown_pool.at("pool") == api_pool.at("pool"));
  CHECK(as_int(shown_pool.at("used")) == as_int(api_pool.at("used")));
  CHECK(as_int(shown_pool.at("used")) == forwarded);
  CHECK(as_int(shown_pool.at("remaining")) ==
        as_int(api_pool.at("daily_limit")) - as_int(api_pool.at("used")));
  CHECK(as_int(shown_pool.at("projected")) >= forwarded);
  CHECK(as_int(shown_pool.at("rate")) > 0);
  CHECK(std::string(shown_pool.at("basis").as_string()).find("burn rate from calls since") !=
        std::string::npos);
  // Calls per hour: the 24 numbers of today as the API gives them.
  const auto& shown_hours = before.at("hours").at(0).at("today").as_array();
  const auto& api_hours = hours.at("pools").at(0).at("hours").as_array();
  REQUIRE(shown_hours.size() == 24);
  for (std::size_t h = 0; h < 24; ++h) CHECK(as_int(shown_hours[h]) == as_int(api_hours[h]));
  // Each client: used, remaining, tier, quota as /v1/clients.
  for (const auto& c : clients.at("clients").as_array()) {
    const auto& id = c.at("id").as_string();
    const auto& shown = by_key(before.at("clients"), "id", id);
    CHECK(as_int(shown.at("used")) == as_int(c.at("used_today")));
    CHECK(as_int(shown.at("remaining")) == as_int(c.at("remaining")));
    CHECK(shown.at("tier") == c.at("tier"));
    const auto& quota = c.at("quota_override").is_null() ? c.at("configured_quota")
                                                         : c.at("quota_override");
    CHECK(shown.at("quota") == quota);
  }
  CHECK(as_int(by_key(before.at("clients"), "id", caiasoft.id).at("used")) == 5);
  // Refusals by reason from this instance's /metrics; the last 7 days from /v1/usage.
  CHECK(as_int(before.at("refusals").at("refused_quota")) == refused_quota);
  CHECK(before.at("days").as_array().size() == 7);
  CHECK(before.at("days").at(0).at("date") == usage.at("date"));
  CHECK(as_int(before.at("days").at(0).at("used")) == forwarded);
  // It refreshed by itself, every control has a label, nothing came from outside, no errors.
  CHECK(as_int(before.at("refreshes")) >= 2);
  CHECK(before.at("unlabelled_controls").as_array().empty());
  CHECK(page.at("outside_requests").as_array().empty());
  CHECK_MESSAGE(page.at("page_errors").as_array().empty(), json::serialize(page.at("page_errors")));
  // At 200% zoom the page reflows instead of scrolling sideways.
  CHECK(as_int(page.at("zoom200_overflow_x")) <= 0);

  // The quota change made through the page, after its confirmation, is on every instance.
  CHECK(std::string(page.at("confirmation").as_string()).find("from 5 to 9") != std::string::npos);
  CHECK(as_int(by_key(page.at("after").at("clients"), "id", caiasoft.id).at("quota")) == 9);
  for (std::size_t g = 0; g < 2; ++g) {
    bool seen = wait_for(
        [&] {
          const auto now = get_json(f, g, "/v1/clients");
          return by_key(now.at("clients"), "id", caiasoft.id).at("quota_override") == 9;
        },
        std::chrono::seconds(5));
    CHECK_MESSAGE(seen, "gateway " << g);
  }
  CHECK(f.call(caiasoft, 1).status == 200);  // 6th call: allowed by the new quota of 9
  CHECK(fs::file_size(shot) > 10'000);
  CHECK(fs::file_size(shot200) > 10'000);
  MESSAGE("screenshots: " << shot.string() << " and " << shot200.string());
}
