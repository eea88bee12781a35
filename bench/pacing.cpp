// bench/pacing: three almagate instances share one Redis in front of the Alma simulator,
// whose per-second threshold is the pool's cap; many callers over several clients and tiers
// flood them. Prints the most calls the simulator accepted in any one-second window, its
// per-second refusals, the utilisation of the cap, and the p50/p99 waits of core and batch.
//
//   build/bench-pacing [--seconds 30] [--callers 200] [--rate 25]
//
// Loopback only; every loop is bounded by --seconds.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/budget_fixture.hpp"

using namespace almagate::test;
using clock_type = std::chrono::steady_clock;

namespace {

struct sample {
  std::string tier;
  double seconds;
  int status;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 30, callers = 200;
  double rate = 25;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--seconds") seconds = std::atoi(argv[i + 1]);
    else if (flag == "--callers") callers = std::atoi(argv[i + 1]);
    else if (flag == "--rate") rate = std::atof(argv[i + 1]);
  }
  std::vector<budget_client> clients = {
      {"circ-desk", "core"},       {"patron-requests", "core"},   {"caiasoft-sync", "standard"},
      {"spine-labels", "standard"}, {"reports-nightly", "batch"}, {"bulk-export", "batch"}};
  std::printf("bench/pacing: 3 gateways, 1 redis-server, alma-sim at %g/s; %d callers for %d s\n",
              rate, callers, seconds);
  budget_fixture f({.daily_limit = 100000000, .reserve_standard = 0, .reserve_batch = 0,
                    .clients = clients, .store = "redis", .gateways = 3, .per_second = rate,
                    .max_wait = "10s", .sim_per_second = rate});

  // One caller in forty is core (desk staff: a call, then a second of reading), three in ten
  // standard and the rest batch, both flooding back to back.
  std::mutex mutex;
  std::vector<sample> samples;
  auto deadline = clock_type::now() + std::chrono::seconds(seconds);
  double deadline_ms = std::chrono::duration<double, std::milli>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count() +
                       1000.0 * seconds;
  std::vector<std::thread> threads;
  for (int t = 0; t < callers; ++t) {
    const budget_client& who = t % 40 == 0   ? clients[static_cast<std::size_t>(t / 40 % 2)]
                               : t % 10 < 4 ? clients[2 + static_cast<std::size_t>(t % 2)]
                                             : clients[4 + static_cast<std::size_t>(t % 2)];
    threads.emplace_back([&, who, t] {
      http_client c(client_options{.ca_file = f.sim.tls().ca_cert,
                                   .timeout = std::chrono::seconds(20),
                                   .keep_alive = true});
      std::vector<sample> mine;
      for (int i = 0; i < 100000 && clock_type::now() < deadline; ++i) {
        auto start = clock_type::now();
        auto r = c.get(f.url("/almaws/v1/bibs/1", static_cast<std::size_t>(t % 3)),
                       {{"Authorization", "apikey " + who.token()}});
        mine.push_back({who.tier, std::chrono::duration<double>(clock_type::now() - start).count(),
                        r.status});
        // A script backs off as told (Retry-After), at most a second here; core callers are
        // people at desks: a call, then a second of reading the screen.
        if (r.status == 429 || who.tier == "core")
          std::this_thread::sleep_for(std::chrono::milliseconds(
              std::min(1000, 1000 * std::max(1, std::atoi(r.header("Retry-After").c_str())))));
      }
      std::lock_guard lock(mutex);
      samples.insert(samples.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();

  auto stats = f.sim.stats();
  auto accepted = stats.at("accepted").to_number<double>();
  double span = (stats.at("last_ms").to_number<double>() - stats.at("first_ms").to_number<double>()) / 1000.0;
  std::map<std::string, std::vector<double>> waits;
  std::map<std::string, std::map<int, int>> statuses;
  for (const auto& s : samples) {
    statuses[s.tier][s.status]++;
    if (s.status == 200) waits[s.tier].push_back(s.seconds);
  }
  std::printf("\n%-44s %10s\n", "figure", "value");
  std::printf("%-44s %10.0f\n", "calls the simulator accepted", accepted);
  std::printf("%-44s %10d   (cap %g)\n", "most accepted in any one-second window",
              stats.at("max_accepted_in_any_second").to_number<int>(), rate);
  std::printf("%-44s %10d\n", "simulator per-second refusals",
              stats.at("refused_per_second").to_number<int>());
  // During the flood: calls that arrived between the first one and the callers' deadline.
  // (After it, queued standard calls drain while no new call arrives to take core-held slots.)
  double first_ms = stats.at("first_ms").to_number<double>();
  std::size_t in_flood = 0;
  for (const auto& r : f.sim.requests()) {
    double at = r.at("arrival_ms").to_number<double>();
    if (r.at("status").to_number<int>() == 200 && at >= first_ms && at <= deadline_ms) ++in_flood;
  }
  double flood_s = (deadline_ms - first_ms) / 1000.0;
  double utilisation = static_cast<double>(in_flood) / (rate * flood_s);
  std::printf("%-44s %9.1f%%   (accepted while flooding / (cap x %.1f s))\n", "utilisation",
              100.0 * utilisation, flood_s);
  std::printf("%-44s %9.1f%%   (all accepted / (cap x %.1f s, first to last, with the drain))\n",
              "utilisation incl. the drain after the run", 100.0 * accepted / (rate * span), span);
  for (const char* tier : {"core", "standard", "batch"}) {
    auto& w = waits[tier];
    std::printf("%-44s %8.3f s / %.3f s   (%zu forwarded, %d refused 429)\n",
                (std::string(tier) + " wait p50 / p99").c_str(), percentile(w, 0.5),
                percentile(w, 0.99), w.size(), statuses[tier][429]);
  }
  bool ok = stats.at("max_accepted_in_any_second").to_number<double>() <= rate &&
            stats.at("refused_per_second").to_number<int>() == 0 &&
            utilisation >= 0.95 && percentile(waits["core"], 0.99) < 1.0;
  std::printf("\ntargets (never over the cap, no refusals, >= 95%% utilisation, core p99 < 1 s): %s\n",
              ok ? "met" : "NOT met");
  return 0;
}
