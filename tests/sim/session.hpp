#pragma once
// One client connection to the simulator: keep-alive requests until the client leaves.

#include <cstdint>

#include "proxy/io.hpp"
#include "tests/sim/sim_state.hpp"

namespace almagate::sim {

awaitable<void> run_plain_session(tcp_socket socket, sim_state& state);
awaitable<void> run_tls_session(tcp_socket socket, ssl::context& tls, sim_state& state);

}  // namespace almagate::sim
