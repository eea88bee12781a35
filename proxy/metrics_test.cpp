#include "proxy/metrics.hpp"

#include <doctest/doctest.h>

#include <map>
#include <sstream>
#include <thread>
#include <vector>

using namespace almagate;

namespace {

struct parsed_sample {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string value;
};

struct parsed_text {
  std::map<std::string, std::string> types;
  std::map<std::string, std::string> helps;
  std::vector<parsed_sample> samples;
};

// A strict little parser for the 0.0.4 text format, enough to read our own output back.
parsed_text parse(const std::string& text) {
  parsed_text out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    REQUIRE(!line.empty());
    if (line.rfind("# HELP ", 0) == 0) {
      auto rest = line.substr(7);
      auto sp = rest.find(' ');
      out.helps[rest.substr(0, sp)] = rest.substr(sp + 1);
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      auto rest = line.substr(7);
      auto sp = rest.find(' ');
      out.types[rest.substr(0, sp)] = rest.substr(sp + 1);
      continue;
    }
    parsed_sample s;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') s.name += line[i++];
    if (line[i] == '{') {
      ++i;
      while (line[i] != '}') {
        std::string key;
        while (line[i] != '=') key += line[i++];
        REQUIRE(line[i + 1] == '"');
        i += 2;
        std::string value;
        while (line[i] != '"') {
          if (line[i] == '\\') {
            char next = line[i + 1];
            value += next == 'n' ? '\n' : next;
            i += 2;
          } else {
            value += line[i++];
          }
        }
        ++i;
        if (line[i] == ',') ++i;
        s.labels[key] = value;
      }
      ++i;
    }
    REQUIRE(line[i] == ' ');
    s.value = line.substr(i + 1);
    out.samples.push_back(std::move(s));
  }
  return out;
}

std::vector<parsed_sample> named(const parsed_text& t, const std::string& name) {
  std::vector<parsed_sample> out;
  for (const auto& s : t.samples)
    if (s.name == name) out.push_back(s);
  return out;
}

}  // namespace

TEST_CASE("metrics render as Prometheus text with escaped labels and complete histograms") {
  gateway_metrics m;
  m.calls_total("caiasoft-sync", "production", area::bibs, call_outcome::forwarded).inc(3);
  m.calls_total("caiasoft-sync", "production", area::users, call_outcome::refused_scope).inc();
  m.calls_total("we\"ird\\na\nme", "sandbox", area::bibs, call_outcome::refused_quota).inc();
  m.upstream_latency_seconds("production").observe(0.003);
  m.upstream_latency_seconds("production").observe(0.2);
  m.upstream_latency_seconds("production").observe(30);
  m.pacing_wait_seconds("main").observe(0);
  m.store_errors_total.inc(2);
  m.store_failure_decisions_total(store_failure_mode::open).inc();
  m.open_connections.inc(5);
  m.open_connections.dec();
  m.upstream_per_second_refusals_total("production").inc();

  live_budget live;
  live.pools.push_back({"main", 1000, 400, 600});
  live.clients.push_back({"caiasoft-sync", "main", 100, 40, 60});
  live.clients.push_back({"labels", "main", std::nullopt, 10, 590});

  auto text = parse(m.render(live));

  CHECK(text.types["almagate_calls_total"] == "counter");
  CHECK(text.types["almagate_upstream_latency_seconds"] == "histogram");
  CHECK(text.types["almagate_open_connections"] == "gauge");
  CHECK(text.types["almagate_pool_remaining"] == "gauge");
  for (const auto& [name, type] : text.types) {
    CHECK(name.rfind("almagate_", 0) == 0);
    CHECK(text.helps.count(name) == 1);
    if (type == "counter") CHECK(name.ends_with("_total"));
  }

  auto calls = named(text, "almagate_calls_total");
  REQUIRE(calls.size() == 3);
  std::map<std::string, std::string> by_key;
  for (const auto& s : calls)
    by_key[s.labels.at("client") + "|" + s.labels.at("environment") + "|" + s.labels.at("area") +
           "|" + s.labels.at("outcome")] = s.value;
  CHECK(by_key["caiasoft-sync|production|bibs|forwarded"] == "3");
  CHECK(by_key["caiasoft-sync|production|users|refused_scope"] == "1");
  // The label value comes back exactly as given, through the escaping.
  CHECK(by_key["we\"ird\\na\nme|sandbox|bibs|refused_quota"] == "1");

  auto buckets = named(text, "almagate_upstream_latency_seconds_bucket");
  REQUIRE(buckets.size() == upstream_latency_buckets.size() + 1);
  std::uint64_t previous = 0;
  for (const auto& b : buckets) {
    CHECK(b.labels.at("environment") == "production");
    auto n = std::stoull(b.value);
    CHECK(n >= previous);
    previous = n;
  }
  CHECK(buckets.front().labels.at("le") == "0.005");
  CHECK(buckets.front().value == "1");
  CHECK(buckets.back().labels.at("le") == "+Inf");
  CHECK(buckets.back().value == "3");
  CHECK(named(text, "almagate_upstream_latency_seconds_count").at(0).value == "3");
  CHECK(std::stod(named(text, "almagate_upstream_latency_seconds_sum").at(0).value) ==
        doctest::Approx(30.203));

  auto waits = named(text, "almagate_pacing_wait_seconds_bucket");
  REQUIRE(!waits.empty());
  CHECK(waits.front().labels.at("le") == "0");
  CHECK(waits.front().value == "1");

  CHECK(named(text, "almagate_store_errors_total").at(0).value == "2");
  for (const auto& s : named(text, "almagate_store_failure_decisions_total"))
    CHECK(s.value == (s.labels.at("mode") == "open" ? "1" : "0"));
  CHECK(named(text, "almagate_open_connections").at(0).value == "4");
  CHECK(named(text, "almagate_upstream_per_second_refusals_total").at(0).value == "1");
  CHECK(named(text, "almagate_pool_used").at(0).value == "400");
  CHECK(named(text, "almagate_pool_remaining").at(0).value == "600");
  CHECK(named(text, "almagate_pool_daily_limit").at(0).value == "1000");
  CHECK(named(text, "almagate_client_quota_used").size() == 2);
  auto quotas = named(text, "almagate_client_daily_quota");
  REQUIRE(quotas.size() == 1);  // "labels" has no quota
  CHECK(quotas[0].labels.at("client") == "caiasoft-sync");
  CHECK(quotas[0].value == "100");
}

TEST_CASE("metrics totals are exact when several threads count at once") {
  gateway_metrics m(64);
  constexpr int threads = 4;
  constexpr int per_thread = 20000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&m, t] {
      for (int i = 0; i < per_thread; ++i) {
        // Every thread also creates series of its own while the others count.
        std::string client = "client-" + std::to_string(i % 8);
        m.calls_total(client, "production", area::bibs, call_outcome::forwarded).inc();
        m.calls_total("own-" + std::to_string(t), "sandbox", area::users,
                      call_outcome::refused_pool).inc();
        m.upstream_latency_seconds("production").observe(0.01);
        m.store_errors_total.inc();
        m.open_connections.inc();
        m.open_connections.dec();
      }
    });
  }
  for (auto& t : pool) t.join();

  std::uint64_t forwarded = 0;
  for (int c = 0; c < 8; ++c)
    forwarded += m.calls_total("client-" + std::to_string(c), "production", area::bibs,
                               call_outcome::forwarded).value();
  CHECK(forwarded == threads * per_thread);
  for (int t = 0; t < threads; ++t)
    CHECK(m.calls_total("own-" + std::to_string(t), "sandbox", area::users,
                        call_outcome::refused_pool).value() == per_thread);
  CHECK(m.store_errors_total.value() == threads * per_thread);
  CHECK(m.open_connections.value() == 0);
  auto snap = m.upstream_latency_seconds("production").read();
  CHECK(snap.count() == threads * per_thread);
  CHECK(snap.sum == doctest::Approx(0.01 * threads * per_thread));

  // Each client's series appears once in the text.
  auto text = parse(m.render());
  CHECK(named(text, "almagate_calls_total").size() == 8 + threads);
}

TEST_CASE("label sets past the table's capacity share the _other series") {
  gateway_metrics m(4);
  for (int i = 0; i < 10; ++i) {
    std::string client = std::to_string(i);
    client.insert(0, 1, 'c');
    m.calls_total(client, "production", area::bibs, call_outcome::forwarded).inc();
  }
  auto text = parse(m.render());
  std::uint64_t total = 0;
  bool other = false;
  for (const auto& s : named(text, "almagate_calls_total")) {
    total += std::stoull(s.value);
    other = other || s.labels.at("client") == "_other";
  }
  CHECK(total == 10);
  CHECK(other);
}

TEST_CASE("a thread's last-found series is used only for the same labels and the same family") {
  auto make = [] { return std::make_unique<counter>(); };
  labeled<counter, 2> a(16, make), b(16, make);
  a.at({"patron-requests", "production"}).inc();
  a.at({"patron-requests", "production"}).inc();  // the thread's last series
  a.at({"patron-requests", "sandbox"}).inc();     // same client, another environment
  a.at({"patron-request", "production"}).inc();   // a prefix of the last client
  b.at({"patron-requests", "production"}).inc();  // another family, the same labels
  a.at({"patron-requests", "production"}).inc();
  CHECK(a.at({"patron-requests", "production"}).value() == 3);
  CHECK(a.at({"patron-requests", "sandbox"}).value() == 1);
  CHECK(a.at({"patron-request", "production"}).value() == 1);
  CHECK(b.at({"patron-requests", "production"}).value() == 1);
  {
    // A family gone and another made, perhaps where it was: nothing of the old one is used.
    labeled<counter, 2> gone(16, make);
    gone.at({"reports", "production"}).inc(5);
  }
  labeled<counter, 2> fresh(16, make);
  CHECK(fresh.at({"reports", "production"}).value() == 0);
}
