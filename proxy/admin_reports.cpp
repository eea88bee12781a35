#include "proxy/admin_reports.hpp"

#include <boost/json.hpp>

namespace almagate {

namespace json = boost::json;

namespace {

json::value optional_number(const std::optional<std::int64_t>& n) {
  return n ? json::value(*n) : json::value(nullptr);
}

std::string status_class_text(int status_class) { return std::to_string(status_class) + "xx"; }

// Readers: each returns false when the field is missing or of the wrong kind.
bool read(const json::object& o, std::string_view key, std::string& out) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return false;
  out = std::string(v->get_string());
  return true;
}

bool read(const json::object& o, std::string_view key, std::int64_t& out) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_number()) return false;
  boost::system::error_code ec;
  out = v->to_number<std::int64_t>(ec);
  return !ec;
}

bool read(const json::object& o, std::string_view key, std::optional<std::int64_t>& out) {
  auto* v = o.if_contains(key);
  if (!v) return false;
  if (v->is_null()) {
    out.reset();
    return true;
  }
  std::int64_t n = 0;
  if (!read(o, key, n)) return false;
  out = n;
  return true;
}

const json::array* array_at(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_array() ? &v->get_array() : nullptr;
}

}  // namespace

json::value to_json(const usage_report& report) {
  json::array pools;
  for (const auto& p : report.pools)
    pools.push_back(json::object{{"pool", p.pool}, {"daily_limit", p.daily_limit}, {"used", p.used}});
  json::array rows;
  for (const auto& r : report.rows)
    rows.push_back(json::object{{"client", r.client},
                                {"environment", r.environment},
                                {"area", r.area},
                                {"access", r.access},
                                {"status_class", status_class_text(r.status_class)},
                                {"calls", r.calls},
                                {"pool", r.pool}});
  return json::object{{"date", report.date}, {"pools", std::move(pools)}, {"usage", std::move(rows)}};
}

json::value to_json(const clients_report& report) {
  json::array clients;
  for (const auto& c : report.clients) {
    json::array grants;
    for (const auto& g : c.grants) {
      json::object areas;
      for (const auto& a : g.areas) areas[a.area] = a.access;
      grants.push_back(json::object{
          {"environment", g.environment}, {"key", g.key}, {"areas", std::move(areas)}});
    }
    clients.push_back(json::object{{"id", c.id},
                                   {"tier", c.tier},
                                   {"pool", c.pool},
                                   {"configured_quota", optional_number(c.configured_quota)},
                                   {"quota_override", optional_number(c.quota_override)},
                                   {"used_today", c.used_today},
                                   {"remaining", c.remaining},
                                   {"grants", std::move(grants)}});
  }
  return json::object{{"clients", std::move(clients)}};
}

json::value to_json(const quota_change& change) {
  return json::object{{"client", change.client},
                      {"configured_quota", optional_number(change.configured_quota)},
                      {"quota_override", optional_number(change.quota_override)}};
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string to_csv(const usage_report& report) {
  std::string out =
      "date,client,environment,area,access,status_class,calls,pool,pool_daily_limit,pool_used\r\n";
  for (const auto& r : report.rows) {
    const usage_pool* pool = nullptr;
    for (const auto& p : report.pools)
      if (!r.pool.empty() && p.pool == r.pool) pool = &p;
    std::string fields[] = {csv_field(report.date),
                            csv_field(r.client),
                            csv_field(r.environment),
                            csv_field(r.area),
                            csv_field(r.access),
                            status_class_text(r.status_class),
                            std::to_string(r.calls),
                            csv_field(r.pool),
                            pool ? std::to_string(pool->daily_limit) : "",
                            pool ? std::to_string(pool->used) : ""};
    bool first = true;
    for (const auto& f : fields) {
      if (!first) out += ',';
      first = false;
      out += f;
    }
    out += "\r\n";
  }
  return out;
}

std::optional<usage_report> usage_report_from_json(const json::value& v) {
  if (!v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  usage_report report;
  const auto* pools = array_at(o, "pools");
  const auto* rows = array_at(o, "usage");
  if (!read(o, "date", report.date) || !pools || !rows) return std::nullopt;
  for (const auto& p : *pools) {
    usage_pool pool;
    if (!p.is_object() || !read(p.get_object(), "pool", pool.pool) ||
        !read(p.get_object(), "daily_limit", pool.daily_limit) ||
        !read(p.get_object(), "used", pool.used))
      return std::nullopt;
    report.pools.push_back(std::move(pool));
  }
  for (const auto& r : *rows) {
    if (!r.is_object()) return std::nullopt;
    const auto& ro = r.get_object();
    usage_row row;
    std::string status;
    if (!read(ro, "client", row.client) || !read(ro, "environment", row.environment) ||
        !read(ro, "area", row.area) || !read(ro, "access", row.access) ||
        !read(ro, "status_class", status) || !read(ro, "calls", row.calls) ||
        !read(ro, "pool", row.pool) || status.size() != 3 || status[0] < '1' || status[0] > '5')
      return std::nullopt;
    row.status_class = status[0] - '0';
    report.rows.push_back(std::move(row));
  }
  return report;
}

std::optional<clients_report> clients_report_from_json(const json::value& v) {
  if (!v.is_object()) return std::nullopt;
  const auto* clients = array_at(v.get_object(), "clients");
  if (!clients) return std::nullopt;
  clients_report report;
  for (const auto& c : *clients) {
    if (!c.is_object()) return std::nullopt;
    const auto& co = c.get_object();
    client_report_entry entry;
    const auto* grants = array_at(co, "grants");
    if (!read(co, "id", entry.id) || !read(co, "tier", entry.tier) ||
        !read(co, "pool", entry.pool) || !read(co, "configured_quota", entry.configured_quota) ||
        !read(co, "quota_override", entry.quota_override) ||
        !read(co, "used_today", entry.used_today) || !read(co, "remaining", entry.remaining) ||
        !grants)
      return std::nullopt;
    for (const auto& g : *grants) {
      if (!g.is_object()) return std::nullopt;
      const auto& go = g.get_object();
      client_grant grant;
      auto* areas = go.if_contains("areas");
      if (!read(go, "environment", grant.environment) || !read(go, "key", grant.key) || !areas ||
          !areas->is_object())
        return std::nullopt;
      for (const auto& [area, access] : areas->get_object()) {
        if (!access.is_string()) return std::nullopt;
        grant.areas.push_back({std::string(area), std::string(access.get_string())});
      }
      entry.grants.push_back(std::move(grant));
    }
    report.clients.push_back(std::move(entry));
  }
  return report;
}

std::optional<quota_change> quota_change_from_json(const json::value& v) {
  if (!v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  quota_change change;
  if (!read(o, "client", change.client) || !read(o, "configured_quota", change.configured_quota) ||
      !read(o, "quota_override", change.quota_override))
    return std::nullopt;
  return change;
}

bool is_valid_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (text[i] < '0' || text[i] > '9') return false;
  auto number = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  int year = number(0, 4), month = number(5, 2), day = number(8, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= days[month - 1] + (month == 2 && leap ? 1 : 0);
}

}  // namespace almagate
