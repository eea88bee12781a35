#pragma once
// `almagate usage` and `almagate quota ...`: ask a running instance's admin endpoint and print
// readable tables (or its raw JSON/CSV). Exit codes: 0 done, 1 the endpoint failed or refused
// (unreachable, 401, 404, 5xx, ...), 2 a usage or config error on this side (no token, bad
// date, bad format, bad URL).

#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <ostream>
#include <string>

namespace almagate {

struct admin_cli_options {
  std::string admin_url = "http://127.0.0.1:9090";
  std::optional<std::string> token;  // usually admin_token_from_environment()
  std::chrono::milliseconds timeout{10'000};
  std::ostream* out = &std::cout;
  std::ostream* err = &std::cerr;
};

// ALMAGATE_ADMIN_TOKEN, nullopt when unset or empty.
std::optional<std::string> admin_token_from_environment();

// format: table (default), json or csv. date: YYYY-MM-DD, nullopt: today (the instance's).
int run_usage(const admin_cli_options& options, std::optional<std::string> date,
              std::string format = "table");
int run_quota_show(const admin_cli_options& options, std::string format = "table");
int run_quota_set(const admin_cli_options& options, std::string client, std::int64_t n);
int run_quota_clear(const admin_cli_options& options, std::string client);

}  // namespace almagate
