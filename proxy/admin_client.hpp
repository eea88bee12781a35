#pragma once
// The command line's HTTP client to a running instance's admin endpoint. Synchronous from the
// caller's side; one connection per request, every step under one deadline. http:// and
// https:// (system CA store, host name checked).

#include <chrono>
#include <string>

#include "proxy/io.hpp"

namespace almagate {

struct admin_client_options {
  std::string base_url = "http://127.0.0.1:9090";  // may carry a path prefix
  std::string token;                               // empty: no Authorization header
  std::chrono::milliseconds timeout{10'000};
};

struct admin_reply {
  std::string failure;  // non-empty: no HTTP answer (bad URL, unreachable, timeout, ...)
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

// `target`: path and query below the base URL, e.g. "/v1/usage?date=2026-11-29".
admin_reply admin_call(const admin_client_options& options, http::verb method,
                       std::string_view target, std::string body = {});

}  // namespace almagate
