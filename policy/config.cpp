// load_config: reads the YAML file, validates it and resolves it into one immutable snapshot.
#include "policy/config.hpp"

#include <filesystem>

#include "policy/config_sections.hpp"
#include "policy/config_yaml.hpp"

namespace almagate {

std::string_view tier_name(tier t) {
  switch (t) {
    case tier::core: return "core";
    case tier::standard: return "standard";
    case tier::batch: return "batch";
  }
  return "standard";
}

const environment* config::find_environment(std::string_view name) const {
  auto it = environments.find(std::string(name));
  return it == environments.end() ? nullptr : &it->second;
}

const client* config::find_client_by_token_sha256(std::string_view hex) const {
  auto it = client_by_token_sha256.find(hex);
  return it == client_by_token_sha256.end() ? nullptr : it->second;
}

namespace {

YAML::Node parse_file(const std::string& path) {
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw config_error(path + ": cannot read the config file");
  } catch (const YAML::ParserException& e) {
    throw config_error(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

}  // namespace

config_ptr load_config(const std::string& path, const load_options& options) {
  auto out = std::make_shared<config>();
  out->source_path = path;
  const YAML::Node document = parse_file(path);

  namespace sections = config_sections;
  sections::context ctx;
  ctx.base_dir = std::filesystem::absolute(path).parent_path();
  ctx.options = options;

  const config_yaml::field root_field(document, "", &out->source_path, document.Mark());
  if (!document.IsMap()) root_field.fail("expected a mapping of settings at the top level");
  const config_yaml::fixed_map root(
      root_field, {"listen", "tls", "upstream_ca", "threads", "limits", "store", "store_failure",
                   "admin", "alerts", "pools", "environments", "keys", "clients"});

  // Order matters: each part refers to names defined by the parts before it.
  sections::read_server(root, *out, ctx);
  if (auto pools = root.get("pools")) sections::read_pools(*pools, *out);
  sections::read_environments(root.require("environments"), *out);
  if (auto keys = root.get("keys")) sections::read_keys(*keys, *out, ctx);
  if (auto clients = root.get("clients")) sections::read_clients(*clients, *out);
  if (out->clients.empty()) out->warnings.push_back("no clients: every request will be refused");
  return out;
}

}  // namespace almagate
