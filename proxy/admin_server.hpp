#pragma once
// One connection to the admin endpoint: HTTP/1.1 keep-alive, small string bodies, a deadline
// on every read and write. Routes are in admin_routes.hpp.

#include <chrono>

#include "proxy/admin_backend.hpp"
#include "proxy/io.hpp"

namespace almagate {

struct admin_connection_limits {
  std::uint32_t max_header_bytes = 8 * 1024;
  std::uint64_t max_body_bytes = 64 * 1024;
  std::chrono::milliseconds read_timeout{10'000};       // one whole request
  std::chrono::milliseconds keepalive_timeout{30'000};  // idle between requests
  std::chrono::milliseconds write_timeout{10'000};
};

awaitable<void> serve_admin_connection(tcp_socket socket, admin_backend& backend,
                                       admin_connection_limits limits = {});

}  // namespace almagate
