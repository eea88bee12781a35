#include "tests/sim/sim_config.hpp"

#include <stdexcept>

#include <yaml-cpp/yaml.h>

namespace almagate::sim {

namespace {

[[noreturn]] void fail(const std::string& path, const YAML::Node& node, const std::string& field,
                       const std::string& what) {
  throw std::runtime_error(path + ":" + std::to_string(node.Mark().line + 1) + ": " + field +
                           ": " + what);
}

std::int64_t read_count(const std::string& path, const YAML::Node& root, const char* field) {
  const YAML::Node node = root[field];
  if (!node) return 0;
  try {
    std::int64_t value = node.as<std::int64_t>();
    if (value < 0) fail(path, node, field, "must be 0 or more");
    return value;
  } catch (const YAML::Exception&) {
    fail(path, node, field, "must be a whole number");
  }
}

key_grant read_grant(const std::string& path, const std::string& field, const YAML::Node& node) {
  if (!node.IsMap()) fail(path, node, field, "must be a map with environment and areas");
  key_grant grant;
  grant.environment = node["environment"] ? node["environment"].as<std::string>() : "production";
  if (grant.environment != "production" && grant.environment != "sandbox")
    fail(path, node["environment"], field + ".environment", "must be production or sandbox");
  const YAML::Node areas = node["areas"];
  if (!areas) return grant;
  if (!areas.IsMap()) fail(path, areas, field + ".areas", "must be a map of area: access");
  for (const auto& entry : areas) {
    const std::string name = entry.first.as<std::string>();
    const std::string area_field = field + ".areas." + name;
    auto a = area_for_name(name);
    if (!a) fail(path, entry.first, area_field, "unknown area");
    auto level = access_for_name(entry.second.as<std::string>());
    if (!level) fail(path, entry.second, area_field, "access must be read or read-write");
    grant.areas[*a] = *level;
  }
  return grant;
}

}  // namespace

sim_config load_sim_config(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  sim_config config;
  if (!root || root.IsNull()) return config;
  if (!root.IsMap()) fail(path, root, "(top)", "must be a map");
  config.limits.daily_limit = read_count(path, root, "daily_limit");
  config.limits.per_second = read_count(path, root, "per_second");
  config.limits.latency_ms = read_count(path, root, "latency_ms");
  const YAML::Node keys = root["keys"];
  if (keys) {
    if (!keys.IsMap()) fail(path, keys, "keys", "must be a map of key: grant");
    // The key string is a secret: fields name it by position, not by value.
    std::size_t index = 0;
    for (const auto& entry : keys) {
      const std::string field = "keys[" + std::to_string(index++) + "]";
      config.keys.add(entry.first.as<std::string>(), read_grant(path, field, entry.second));
    }
  }
  return config;
}

}  // namespace almagate::sim
