#pragma once
// The gateway's configuration: loaded and validated once into an immutable snapshot
// (`std::shared_ptr<const config>`), swapped whole on reload.

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "policy/areas.hpp"

namespace date {
class time_zone;
}

namespace almagate {

// A config that cannot be used. what() names the file, the line and the field:
// "configs/x.yaml:12: clients.caiasoft-sync.access.production.areas.bibs: ..."
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "host:port", port 0 = any free port.
struct listen_address {
  std::string host;
  std::uint16_t port = 0;
};

// "https://api-na.hosted.exlibrisgroup.com" split into its parts.
struct upstream_url {
  bool tls = true;
  std::string host;
  std::uint16_t port = 443;
  std::string text;  // as written, without a trailing '/'
  std::string host_field;  // the Host header: host, or host:port off the scheme's default port
};

enum class tier : std::uint8_t { core, standard, batch };
std::string_view tier_name(tier t);

struct pool {
  std::string name;
  std::int64_t daily_limit = 0;
  std::chrono::minutes reset_time{0};  // local time of day the day starts
  std::string timezone = "UTC";        // IANA name
  const date::time_zone* zone = nullptr;  // resolved at load (null: look `timezone` up)
  std::int64_t reserve_standard = 0;   // calls held back from standard and batch
  std::int64_t reserve_batch = 0;      // calls held back from batch
  // Pacing (issue: pacing). 0 = not paced.
  double per_second = 0;
  std::chrono::milliseconds max_wait{10'000};
  // The schedule runs at this share of per_second: r slots then span 1/headroom seconds, so
  // jitter between the gateway and Alma of up to (1/headroom - 1) s cannot put r + 1 calls
  // into one of Alma's seconds (0.97: 31 ms).
  double pacing_headroom = 0.97;
  std::int64_t reserve_for(tier t) const {
    return t == tier::core ? 0 : t == tier::standard ? reserve_standard : reserve_batch;
  }
};

struct environment {
  std::string name;
  upstream_url upstream;
  bool is_default = false;
  const pool* counted_in = nullptr;  // null: calls are not counted
};

// A real Alma key. The secret is read from an environment variable or a file at load.
struct api_key {
  std::string name;
  const environment* env = nullptr;
  std::string secret_env;   // where it came from, for messages
  std::string secret_file;
  std::string secret;       // never logged, never sent to a script
  area_grants areas;
};

struct grant {
  const environment* env = nullptr;
  const api_key* key = nullptr;
  area_grants areas;
};

struct client {
  std::string id;
  std::string description;
  std::string token_sha256;  // lower-case hex
  tier tier_ = tier::standard;
  std::optional<std::int64_t> daily_quota;
  double per_second = 0;  // 0 = no per-client cap
  std::string configuration_write_justification;
  std::vector<grant> grants;  // one per environment the client may use

  const grant* grant_for(const environment* env) const {
    for (const auto& g : grants)
      if (g.env == env) return &g;
    return nullptr;
  }
};

struct limits {
  std::size_t max_header_bytes = 16 * 1024;
  std::uint64_t max_body_bytes = 1024ull * 1024 * 1024;  // 1 GiB
  std::chrono::milliseconds client_header_timeout{30'000};
  std::chrono::milliseconds client_body_timeout{60'000};  // idle, between body reads
  std::chrono::milliseconds keepalive_timeout{75'000};
  std::chrono::milliseconds upstream_connect_timeout{5'000};
  std::chrono::milliseconds upstream_response_timeout{300'000};
  std::size_t upstream_idle_per_thread = 64;  // pooled keep-alive connections kept
  std::chrono::milliseconds upstream_idle_timeout{50'000};
  std::chrono::milliseconds shutdown_timeout{30'000};  // calls in flight may finish this long
};

// Hashes a token's lower-case hex SHA-256 by its first 16 characters, 64 bits of a digest
// that is uniform already; shorter strings by std::hash. Transparent: a std::string_view finds
// a std::string key without a copy.
struct token_sha256_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view hex) const {
    if (hex.size() < 16) return std::hash<std::string_view>{}(hex);
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::memcpy(&a, hex.data(), 8);
    std::memcpy(&b, hex.data() + 8, 8);
    return static_cast<std::size_t>((a ^ (b * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull);
  }
};

enum class store_failure_mode : std::uint8_t { closed, open, share };

struct admin_settings {
  std::optional<listen_address> listen;
  std::string token_sha256;
};

struct config {
  config() = default;
  config(const config&) = delete;  // holds pointers into itself
  config& operator=(const config&) = delete;

  std::string source_path;  // the file it was loaded from

  listen_address listen;
  std::string tls_cert;  // empty: plain HTTP to scripts
  std::string tls_key;
  std::string upstream_ca;  // extra CA bundle for upstream TLS, may be empty
  unsigned threads = 0;     // 0: one per core
  limits limit;

  std::string store = "memory";  // "memory" or "redis://host:port/db"
  store_failure_mode store_failure = store_failure_mode::closed;
  admin_settings admin;
  std::vector<double> alerts;  // shares of a pool's day, e.g. 0.5, 0.8, 0.95

  // Stable storage: the pointers above point into these.
  std::map<std::string, pool> pools;
  std::map<std::string, environment> environments;
  std::map<std::string, api_key> keys;
  std::map<std::string, client> clients;

  const environment* default_environment = nullptr;
  std::unordered_map<std::string, const client*, token_sha256_hash, std::equal_to<>>
      client_by_token_sha256;

  const environment* find_environment(std::string_view name) const;
  const client* find_client_by_token_sha256(std::string_view hex) const;

  // Non-fatal findings for `check` (an environment counted in no pool, ...).
  std::vector<std::string> warnings;
};

using config_ptr = std::shared_ptr<const config>;

struct load_options {
  bool load_secrets = true;  // `check --no-secrets` skips reading keys
};

// Reads, validates and resolves a config. Throws config_error.
config_ptr load_config(const std::string& path, const load_options& options = {});

// Parses "250ms", "10s", "5m", "1h".
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace almagate
