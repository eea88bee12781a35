#include "proxy/check_overrides.hpp"

#include <map>
#include <optional>

#include "policy/redis_asio.hpp"
#include "policy/redis_store.hpp"
#include "proxy/io.hpp"

namespace almagate {

std::string overrides_report(const config& cfg) {
  if (cfg.store == "memory")
    return "live quota overrides: held by the running process (store: memory); see "
           "`almagate quota show`\n";
  auto options = parse_redis_url(cfg.store);
  if (!options) return "live quota overrides: the store is not a redis:// URL\n";

  net::io_context io;
  auto store = make_redis_store(io.get_executor(), *options);
  std::optional<store_result<std::map<std::string, std::int64_t>>> got;
  net::co_spawn(
      io,
      [&]() -> awaitable<void> { got = co_await store->read_quota_overrides(); },
      net::detached);
  io.run_for(std::chrono::seconds(5));
  if (!got || !*got) return "live quota overrides: cannot be read (the store does not answer)\n";
  if ((*got)->empty()) return "live quota overrides: none\n";
  std::string out = "live quota overrides (they replace the configured daily_quota):\n";
  for (const auto& [client, quota] : **got) {
    auto it = cfg.clients.find(client);
    std::string configured = it == cfg.clients.end()  ? "not in this config"
                             : it->second.daily_quota ? std::to_string(*it->second.daily_quota)
                                                      : "none";
    out += "  " + client + ": " + std::to_string(quota) + " (configured: " + configured + ")\n";
  }
  return out;
}

}  // namespace almagate
