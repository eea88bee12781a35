// Clients: the scripts, each with its own token, tier, quota and grants.
#include <algorithm>

#include "policy/config_sections.hpp"
#include "policy/config_values.hpp"

namespace almagate::config_sections {

using config_yaml::field;
using config_yaml::fixed_map;
using config_yaml::in_quotes;

namespace {

tier read_tier(const field& f) {
  const std::string text = f.as_string();
  if (text == "core") return tier::core;
  if (text == "standard") return tier::standard;
  if (text == "batch") return tier::batch;
  f.fail("unknown tier " + in_quotes(text) + " (expected core, standard or batch)");
}

// Returns where a configuration read-write grant was written, if any.
std::optional<field> read_grant(const std::string& env_name, const field& f, const config& cfg,
                                client& out) {
  grant g;
  g.env = cfg.find_environment(env_name);
  if (!g.env) f.fail("unknown environment " + in_quotes(env_name));
  const fixed_map m(f, {"key", "areas"});
  const field key_field = m.require("key");
  const std::string key_name = key_field.as_string();
  auto key = cfg.keys.find(key_name);
  if (key == cfg.keys.end()) key_field.fail("unknown key " + in_quotes(key_name));
  g.key = &key->second;
  if (g.key->env != g.env)
    key_field.fail("key " + key_name + " belongs to environment " + g.key->env->name +
                   ", not " + env_name);
  std::optional<field> configuration_write;
  for (const auto& entry : read_areas(m.require("areas"))) {
    const access allowed = g.key->areas[entry.name];
    if (entry.level > allowed)
      entry.where.fail(in_quotes(access_name(entry.level)) + " is wider than key " + key_name +
                       " allows (" + in_quotes(access_name(allowed)) + ")");
    g.areas[entry.name] = entry.level;
    if (entry.name == area::configuration && entry.level == access::read_write)
      configuration_write = entry.where;
  }
  out.grants.push_back(g);
  return configuration_write;
}

client read_client(const std::string& id, const field& f, const config& cfg) {
  if (!config_values::is_identifier(id))
    f.fail("a client name may use only letters, digits, '.', '_' and '-'");
  const fixed_map m(f, {"description", "token_sha256", "tier", "daily_quota", "per_second",
                        "configuration_write_justification", "access"});
  client out;
  out.id = id;
  if (auto d = m.get("description")) out.description = d->as_string();
  const field token = m.require("token_sha256");
  // Never echo the value: someone may have pasted the token itself here.
  auto hex = config_values::parse_sha256_hex(token.as_string());
  if (!hex) token.fail("expected 64 hex digits (the SHA-256 of the client's token)");
  out.token_sha256 = *hex;
  if (auto other = cfg.client_by_token_sha256.find(out.token_sha256);
      other != cfg.client_by_token_sha256.end())
    token.fail("clients " + other->second->id + " and " + id +
               " have the same token; give each client its own");
  if (out.token_sha256 == cfg.admin.token_sha256)
    token.fail("client " + id + " has the admin token; give the admin its own token");
  if (auto t = m.get("tier")) out.tier_ = read_tier(*t);
  if (auto q = m.get("daily_quota"))
    out.daily_quota = q->as_int(0, std::numeric_limits<std::int64_t>::max());
  if (auto p = m.get("per_second")) {
    out.per_second = p->as_double();
    if (out.per_second <= 0) p->fail("must be above 0 (leave it out for no per-client cap)");
  }
  auto justification = m.get("configuration_write_justification");
  if (justification) out.configuration_write_justification = justification->as_string();

  const field access = m.require("access");
  std::optional<field> configuration_write;
  for (const auto& [env_name, g] : access.entries())
    if (auto where = read_grant(env_name, g, cfg, out); where && !configuration_write)
      configuration_write = where;
  if (out.grants.empty()) access.fail("grant at least one environment");
  std::sort(out.grants.begin(), out.grants.end(),
            [](const grant& a, const grant& b) { return a.env->name < b.env->name; });

  if (configuration_write && out.configuration_write_justification.empty())
    configuration_write->fail("\"read-write\" needs clients." + id +
                              ".configuration_write_justification: say why this client may "
                              "change Alma's configuration");
  return out;
}

}  // namespace

void read_clients(const field& clients, config& out) {
  for (const auto& [id, f] : clients.entries()) {
    auto [it, added] = out.clients.emplace(id, read_client(id, f, out));
    out.client_by_token_sha256.emplace(it->second.token_sha256, &it->second);
  }
  for (const auto& [id, c] : out.clients)
    if (!c.configuration_write_justification.empty() &&
        std::none_of(c.grants.begin(), c.grants.end(), [](const grant& g) {
          return g.areas[area::configuration] == access::read_write;
        }))
      out.warnings.push_back("client " + id +
                             " has a configuration_write_justification but no configuration "
                             "read-write grant");
}

}  // namespace almagate::config_sections
