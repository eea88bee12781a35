#include "policy/check_report.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace almagate {

namespace {

constexpr std::size_t column_count = 7;
using row = std::array<std::string, column_count>;

std::vector<row> grant_rows(const config& cfg) {
  std::vector<row> rows;
  rows.push_back({"client", "environment", "area", "access", "key", "tier", "daily_quota"});
  for (const auto& [id, c] : cfg.clients) {
    const std::string quota = c.daily_quota ? std::to_string(*c.daily_quota) : "-";
    for (const grant& g : c.grants)
      for (area a : all_areas)
        if (g.areas[a] != access::none)
          rows.push_back({id, g.env->name, std::string(area_name(a)),
                          std::string(access_name(g.areas[a])), g.key->name,
                          std::string(tier_name(c.tier_)), quota});
  }
  return rows;
}

std::string aligned(const std::vector<row>& rows) {
  std::array<std::size_t, column_count> width{};
  for (const row& r : rows)
    for (std::size_t i = 0; i < column_count; ++i) width[i] = std::max(width[i], r[i].size());
  std::string out;
  for (const row& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < column_count; ++i) {
      line += r[i];
      if (i + 1 < column_count) line.append(width[i] - r[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

bool writes_configuration(const client& c) {
  return std::any_of(c.grants.begin(), c.grants.end(), [](const grant& g) {
    return g.areas[area::configuration] == access::read_write;
  });
}

}  // namespace

std::string check_report(const config& cfg) {
  std::string out = "config OK: " + cfg.source_path + "\n";
  for (const auto& warning : cfg.warnings) out.append("warning: ").append(warning).append("\n");
  out += '\n';
  out += aligned(grant_rows(cfg));
  out += "\nconfiguration-write justifications:\n";
  bool any = false;
  for (const auto& [id, c] : cfg.clients) {
    if (!writes_configuration(c)) continue;
    any = true;
    out.append("  ").append(id).append(": ").append(c.configuration_write_justification).append("\n");
  }
  if (!any) out += "  none\n";
  return out;
}

}  // namespace almagate
