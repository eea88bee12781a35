#pragma once
// What the admin endpoint reports, as plain data, and its JSON and CSV renderings. The CLI
// reads the same JSON back with the *_from_json functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace almagate {

// An admin request that failed: rendered as an Alma error body with this status.
struct admin_error {
  unsigned status = 500;
  std::string code = "GENERAL_ERROR";  // INVALID_REQUEST, UNAUTHORIZED, NOT_FOUND, ...
  std::string message;
};

// A value, or why there is none.
template <class T>
struct admin_result {
  std::optional<T> value;
  admin_error error;  // meaningful when !value

  static admin_result ok(T v) { return {std::move(v), {}}; }
  static admin_result fail(admin_error e) { return {std::nullopt, std::move(e)}; }
  explicit operator bool() const { return value.has_value(); }
};

// --- GET /v1/usage ---

struct usage_pool {
  std::string pool;
  std::int64_t daily_limit = 0;
  std::int64_t used = 0;
};

struct usage_row {
  std::string client;
  std::string environment;
  std::string area;    // area_name(): "bibs", "task-lists", ...
  std::string access;  // "read" / "read-write"
  int status_class = 2;  // 2 for 2xx ... 5 for 5xx
  std::int64_t calls = 0;
  std::string pool;  // the environment's pool; empty when its calls are not counted
};

struct usage_report {
  std::string date;  // YYYY-MM-DD
  std::vector<usage_pool> pools;
  std::vector<usage_row> rows;
};

// --- GET /v1/clients ---

struct area_access {
  std::string area;
  std::string access;
};

struct client_grant {
  std::string environment;
  std::string key;
  std::vector<area_access> areas;
};

struct client_report_entry {
  std::string id;
  std::string tier;                                // core / standard / batch
  std::string pool;                                // where used/remaining are counted, may be empty
  std::optional<std::int64_t> configured_quota;    // from the config; none = no quota
  std::optional<std::int64_t> quota_override;      // live override in the store
  std::int64_t used_today = 0;
  std::int64_t remaining = 0;                      // remaining_for_client
  std::vector<client_grant> grants;
};

struct clients_report {
  std::vector<client_report_entry> clients;
};

// --- PUT/DELETE /v1/clients/{id}/quota ---

struct quota_change {
  std::string client;
  std::optional<std::int64_t> configured_quota;
  std::optional<std::int64_t> quota_override;  // none after DELETE
};

// JSON renderings (the API's bodies).
boost::json::value to_json(const usage_report& report);
boost::json::value to_json(const clients_report& report);
boost::json::value to_json(const quota_change& change);

// CSV (RFC 4180, CRLF line ends, header line first), one line per usage row with its pool's
// figures joined in (empty when not counted):
// date,client,environment,area,access,status_class,calls,pool,pool_daily_limit,pool_used
std::string to_csv(const usage_report& report);
// One CSV field, quoted when it holds a comma, a quote, CR or LF.
std::string csv_field(std::string_view text);

// Reading the JSON back (the CLI). nullopt if the shape is not what to_json writes.
std::optional<usage_report> usage_report_from_json(const boost::json::value& v);
std::optional<clients_report> clients_report_from_json(const boost::json::value& v);
std::optional<quota_change> quota_change_from_json(const boost::json::value& v);

// "2026-11-29": four-two-two digits and a real calendar date.
bool is_valid_date(std::string_view text);

}  // namespace almagate
