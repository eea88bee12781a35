// Pools (the institution's daily allowance) and the environments counted in them.
#include <date/tz.h>

#include "policy/config_sections.hpp"
#include "policy/config_values.hpp"

namespace almagate::config_sections {

using config_yaml::field;
using config_yaml::fixed_map;
using config_yaml::in_quotes;

namespace {

void read_reset(const field& f, pool& out) {
  const fixed_map m(f, {"time", "timezone"});
  if (auto time = m.get("time")) {
    auto minutes = config_values::parse_time_of_day(time->as_string());
    if (!minutes) time->fail("expected a time of day \"HH:MM\", got " + in_quotes(time->as_string()));
    out.reset_time = *minutes;
  }
  if (auto zone = m.get("timezone")) {
    out.timezone = zone->as_string();
    // locate_zone throws std::runtime_error for a name not in the tz database.
    try {
      out.zone = date::locate_zone(out.timezone);
    } catch (const std::exception&) {
      zone->fail("unknown time zone " + in_quotes(out.timezone) +
                 " (expected an IANA name such as \"America/New_York\")");
    }
  }
}

void read_reserve(const field& f, pool& out) {
  const fixed_map m(f, {"standard", "batch"});
  if (auto v = m.get("standard")) {
    out.reserve_standard = v->as_int(0, out.daily_limit);
    if (out.reserve_standard >= out.daily_limit) v->fail("must be less than daily_limit");
  }
  if (auto v = m.get("batch")) {
    out.reserve_batch = v->as_int(0, out.daily_limit);
    if (out.reserve_batch >= out.daily_limit) v->fail("must be less than daily_limit");
    if (out.reserve_batch < out.reserve_standard)
      v->fail("the batch reserve holds back at least the standard reserve (" +
              std::to_string(out.reserve_standard) + ")");
  } else if (out.reserve_standard > 0) {
    // Batch is below standard: what is held back from standard is held back from batch too.
    out.reserve_batch = out.reserve_standard;
  }
}

pool read_pool(const std::string& name, const field& f) {
  if (!config_values::is_simple_name(name))
    f.fail("a pool name may use only a-z, 0-9 and '-'");
  const fixed_map m(f, {"daily_limit", "reset", "reserve", "per_second", "max_wait",
                        "pacing_headroom"});
  pool out;
  out.name = name;
  out.daily_limit = m.require("daily_limit").as_int(1, std::numeric_limits<std::int64_t>::max());
  if (auto reset = m.get("reset")) read_reset(*reset, out);
  if (auto reserve = m.get("reserve")) read_reserve(*reserve, out);
  if (auto v = m.get("per_second")) {
    out.per_second = v->as_double();
    if (out.per_second <= 0) v->fail("must be above 0 (leave it out for no pacing)");
  }
  if (auto v = m.get("max_wait")) out.max_wait = v->as_duration();
  if (auto v = m.get("pacing_headroom")) {
    out.pacing_headroom = v->as_double();
    if (!(out.pacing_headroom >= 0.5 && out.pacing_headroom <= 1.0))
      v->fail("must be between 0.5 and 1 (the share of per_second the schedule uses)");
  }
  return out;
}

}  // namespace

void read_pools(const field& pools, config& out) {
  for (const auto& [name, f] : pools.entries()) out.pools.emplace(name, read_pool(name, f));
}

void read_environments(const field& environments, config& out) {
  const auto entries = environments.entries();
  if (entries.empty()) environments.fail("at least one environment is required");
  std::string default_name;
  for (const auto& [name, f] : entries) {
    if (!config_values::is_simple_name(name))
      f.fail("an environment name may use only a-z, 0-9 and '-'");
    // The gateway routes /almaws/... itself; an environment of that name would be ambiguous.
    if (name == "almaws") f.fail("\"almaws\" cannot be an environment name");
    const fixed_map m(f, {"upstream", "default", "pool"});
    environment env;
    env.name = name;
    const field upstream = m.require("upstream");
    auto url = config_values::parse_upstream_url(upstream.as_string());
    if (!url.value) upstream.fail(url.error + ", got " + in_quotes(upstream.as_string()));
    env.upstream = *url.value;
    if (auto d = m.get("default"); d && d->as_bool()) {
      if (!default_name.empty())
        d->fail("environments " + default_name + " and " + name +
                " are both marked default: true; mark exactly one");
      default_name = name;
      env.is_default = true;
    }
    if (auto p = m.get("pool")) {
      const std::string pool_name = p->as_string();
      auto it = out.pools.find(pool_name);
      if (it == out.pools.end()) p->fail("unknown pool " + in_quotes(pool_name));
      env.counted_in = &it->second;
    } else {
      out.warnings.push_back("environment " + name + " is counted in no pool");
    }
    out.environments.emplace(name, std::move(env));
  }
  if (entries.size() == 1) out.environments.begin()->second.is_default = true;
  else if (default_name.empty())
    environments.fail("with more than one environment, mark exactly one default: true");
  for (const auto& [name, env] : out.environments)
    if (env.is_default) out.default_environment = &env;
}

}  // namespace almagate::config_sections
