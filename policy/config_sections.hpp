#pragma once
// The readers for each part of the config file, called in order by load_config.

#include <filesystem>
#include <string>
#include <vector>

#include "policy/config.hpp"
#include "policy/config_yaml.hpp"

namespace almagate::config_sections {

struct context {
  std::filesystem::path base_dir;  // relative paths in the file are relative to it
  load_options options;

  std::string resolve(const std::string& path) const;
};

// One `areas:` map: each area with its access and where it was written.
struct area_entry {
  area name;
  access level;
  config_yaml::field where;
};
std::vector<area_entry> read_areas(const config_yaml::field& areas);

// listen, tls, upstream_ca, threads, limits, store, store_failure, admin, alerts.
void read_server(const config_yaml::fixed_map& root, config& out, const context& ctx);

// Before environments: environments name their pool.
void read_pools(const config_yaml::field& pools, config& out);
void read_environments(const config_yaml::field& environments, config& out);

// After environments; reads secrets when ctx.options.load_secrets.
void read_keys(const config_yaml::field& keys, config& out, const context& ctx);

// After keys; builds grants and client_by_token_sha256.
void read_clients(const config_yaml::field& clients, config& out);

}  // namespace almagate::config_sections
