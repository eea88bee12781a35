#pragma once
// One JSON line per call. Never holds a key, a token or a password: paths are redacted
// before they get here and no header value is logged.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

namespace almagate {

struct access_record {
  std::string_view request_id;
  std::string_view client;       // "" when unknown
  std::string_view environment;  // "" when not routed
  std::string_view area;
  std::string_view access;
  std::string_view method;
  std::string_view path;         // redacted
  unsigned status = 0;
  std::string_view outcome;      // "forwarded", "refused", "upstream_error", ...
  std::string_view error_code;   // Alma errorCode of a refusal, if any
  double upstream_ms = -1;       // < 0: never reached the upstream
  double wait_ms = 0;            // paced: time spent waiting for its slot
  double total_ms = 0;
  std::uint64_t bytes_in = 0;    // request body bytes
  std::uint64_t bytes_out = 0;   // response body bytes
};

std::string format_access_line(const access_record& record);

// The access logger writes to stdout, the main logger to stderr.
std::shared_ptr<spdlog::logger> make_access_logger();

}  // namespace almagate
