#include "proxy/gateway.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include "policy/day.hpp"
#include "policy/memory_store.hpp"
#include "policy/redis_asio.hpp"
#include "policy/redis_store.hpp"
#include "proxy/access_log.hpp"
#include "proxy/upstream_pool.hpp"

namespace almagate {

namespace {
std::unique_ptr<ssl::context> make_client_tls_context(const config& cfg) {
  if (cfg.tls_cert.empty()) return nullptr;
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  ctx->use_certificate_chain_file(cfg.tls_cert);
  ctx->use_private_key_file(cfg.tls_key, ssl::context::pem);
  return ctx;
}

store_factory make_store_factory(const config& cfg) {
  if (cfg.store == "memory") return make_memory_store_factory();
  auto options = parse_redis_url(cfg.store);
  if (!options) throw config_error(cfg.source_path + ": store: not a redis:// URL");
  return make_redis_store_factory(*options, cfg.store_failure);
}
}  // namespace

gateway::gateway(config_ptr initial)
    : config_(initial),
      upstream_tls_(make_upstream_tls_context(initial->upstream_ca)),
      client_tls_(make_client_tls_context(*initial)),
      access_log_(std::make_unique<almagate::access_log>()),
      log_(std::make_shared<spdlog::logger>(
          "almagate", std::make_shared<spdlog::sinks::stderr_color_sink_mt>())) {
  store_factory_ = make_store_factory(*initial);
  log_->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
}

const date::time_zone* gateway::zone_of(const pool& p) const {
  // Resolved at load; a pool whose config named no zone is on UTC, looked up once.
  if (p.zone) return p.zone;
  if (std::string_view(p.timezone) == "UTC") {
    static const date::time_zone* const utc = find_zone("UTC");
    return utc;
  }
  return find_zone(p.timezone);
}

std::optional<std::int64_t> gateway::quota_of(const client& c) const {
  auto current = overrides();
  if (auto it = current->find(c.id); it != current->end()) return it->second;
  return c.daily_quota;
}

void gateway::swap_config(config_ptr next) {
  config_.store(next, std::memory_order_release);
  config_version_.store(next_version(), std::memory_order_release);
}

}  // namespace almagate
