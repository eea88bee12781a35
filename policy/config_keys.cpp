// The real Alma keys: their environment, their areas and where their secret comes from.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "policy/config_sections.hpp"
#include "policy/config_values.hpp"

namespace almagate::config_sections {

using config_yaml::field;
using config_yaml::fixed_map;
using config_yaml::in_quotes;

std::vector<area_entry> read_areas(const field& areas) {
  std::vector<area_entry> out;
  for (const auto& [name, f] : areas.entries()) {
    auto a = area_from_name(name);
    if (!a)
      f.fail("unknown area " + in_quotes(name) +
             " (expected acquisitions, analytics, bibs, configuration, courses, electronic, "
             "partners, task-lists or users)");
    const std::string text = f.as_string();
    auto level = access_from_name(text);
    if (!level) f.fail("unknown access " + in_quotes(text) + " (expected read or read-write)");
    out.push_back({*a, *level, f});
  }
  if (out.empty()) areas.fail("grant at least one area");
  return out;
}

namespace {

// Secrets never appear in a message: only the key's name and where the secret lives.
std::string checked_secret(std::string secret, const std::string& key_name, const std::string& source,
                           const field& where) {
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' ||
                             secret.back() == ' ' || secret.back() == '\t'))
    secret.pop_back();
  if (secret.empty()) where.fail("the secret for key " + key_name + " in " + source + " is empty");
  for (unsigned char c : secret)
    if (c <= 0x20 || c == 0x7f)
      where.fail("the secret for key " + key_name + " in " + source +
                 " contains spaces or control characters");
  return secret;
}

std::string read_secret_env(const std::string& key_name, const std::string& var, const field& where) {
  const char* value = std::getenv(var.c_str());
  if (!value)
    where.fail("environment variable " + var + " for key " + key_name + " is not set");
  return checked_secret(value, key_name, "environment variable " + var, where);
}

std::string read_secret_file(const std::string& key_name, const std::string& path, const field& where) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) where.fail("cannot read secret file " + path + " for key " + key_name);
  return checked_secret(text.str(), key_name, "file " + path, where);
}

api_key read_key(const std::string& name, const field& f, const config& cfg, const context& ctx) {
  if (!config_values::is_identifier(name))
    f.fail("a key name may use only letters, digits, '.', '_' and '-'");
  const fixed_map m(f, {"environment", "secret_env", "secret_file", "areas"});
  api_key key;
  key.name = name;
  const field env = m.require("environment");
  key.env = cfg.find_environment(env.as_string());
  if (!key.env) env.fail("unknown environment " + in_quotes(env.as_string()));

  auto secret_env = m.get("secret_env");
  auto secret_file = m.get("secret_file");
  if (secret_env && secret_file)
    secret_file->fail("give either secret_env or secret_file, not both");
  if (!secret_env && !secret_file)
    f.fail("key " + name + " needs secret_env (an environment variable) or secret_file");
  if (secret_env) {
    key.secret_env = secret_env->as_string();
    if (!config_values::is_env_var_name(key.secret_env))
      secret_env->fail("expected an environment variable name, got " + in_quotes(key.secret_env));
    if (ctx.options.load_secrets) key.secret = read_secret_env(name, key.secret_env, *secret_env);
  } else {
    const std::string text = secret_file->as_string();
    if (text.empty()) secret_file->fail("must not be empty");
    key.secret_file = ctx.resolve(text);
    if (ctx.options.load_secrets) key.secret = read_secret_file(name, key.secret_file, *secret_file);
  }

  for (const auto& entry : read_areas(m.require("areas"))) key.areas[entry.name] = entry.level;
  return key;
}

}  // namespace

void read_keys(const field& keys, config& out, const context& ctx) {
  for (const auto& [name, f] : keys.entries()) out.keys.emplace(name, read_key(name, f, out, ctx));
}

}  // namespace almagate::config_sections
