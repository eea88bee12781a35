#pragma once
// One JSON line per call. Never holds a key, a token or a password: paths are redacted
// before they get here and no header value is logged.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/io.hpp"

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

// The access log goes to stdout (the main log to stderr), one line per call. Lines are
// gathered per event loop and written together once the loop has run what was ready (or at
// 64 KiB): under load one write() carries many calls, at rest each line goes out at once.
// Each write holds whole lines, and writes from different loops never interleave; a loop
// that finds another writing hands its lines to that writer instead of waiting for it.
class access_log {
 public:
  explicit access_log(int fd = 1) : fd_(fd) {}
  access_log(const access_log&) = delete;
  access_log& operator=(const access_log&) = delete;
  ~access_log();

  // `io` is the calling thread's event loop: the flush is posted to it.
  void write(net::io_context& io, const access_record& record);
  // Writes what the calling thread has gathered (also done when the thread ends).
  void flush();

 private:
  int fd_;
};

}  // namespace almagate
