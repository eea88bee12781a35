#pragma once
// One script's connection: reads its calls one after another (HTTP/1.1 keep-alive), decides
// each, and forwards the allowed ones to the upstream.

#include "proxy/worker.hpp"

namespace almagate {

awaitable<void> serve_plain_connection(tcp_socket socket, worker& owner);
awaitable<void> serve_tls_connection(tcp_socket socket, worker& owner);

}  // namespace almagate
