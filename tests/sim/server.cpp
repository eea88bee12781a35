#include "tests/sim/server.hpp"

#include <thread>

#include <sys/socket.h>

#include "tests/sim/session.hpp"

namespace almagate::sim {

namespace {

using reuse_port = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

awaitable<void> accept_loop(tcp_acceptor& acceptor, ssl::context* tls, sim_state& state) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec == net::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors or similar: back off a little rather than spin.
      steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto ex = socket.get_executor();
    if (tls)
      net::co_spawn(ex, run_tls_session(std::move(socket), *tls, state), net::detached);
    else
      net::co_spawn(ex, run_plain_session(std::move(socket), state), net::detached);
  }
}

}  // namespace

sim_server::sim_server(const server_options& options, sim_state& state)
    : tls_(options.tls), state_(state) {
  tcp::endpoint endpoint(net::ip::make_address(options.host), options.port);
  const int threads = options.threads < 1 ? 1 : options.threads;
  for (int i = 0; i < threads; ++i) {
    auto& context = *contexts_.emplace_back(std::make_unique<net::io_context>(1));
    auto& acceptor = acceptors_.emplace_back(context);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.set_option(reuse_port(true));
    acceptor.bind(endpoint);
    acceptor.listen(net::socket_base::max_listen_connections);
    // The first bind picks the port (maybe ephemeral); the others join it.
    if (i == 0) endpoint.port(port_ = acceptor.local_endpoint().port());
  }
  signals_ = std::make_unique<net::signal_set>(*contexts_.front(), SIGINT, SIGTERM);
  signals_->async_wait([this](const error_code& ec, int) {
    if (!ec) stop();
  });
}

sim_server::~sim_server() {
  // Sessions (coroutine frames) die with their contexts, before the acceptors they use.
  signals_.reset();
  for (auto& context : contexts_) context->stop();
  acceptors_.clear();
  contexts_.clear();
}

void sim_server::run() {
  for (std::size_t i = 0; i < contexts_.size(); ++i)
    net::co_spawn(*contexts_[i], accept_loop(acceptors_[i], tls_, state_), net::detached);
  std::vector<std::thread> workers;
  for (std::size_t i = 1; i < contexts_.size(); ++i)
    workers.emplace_back([context = contexts_[i].get()] { context->run(); });
  contexts_.front()->run();
  for (auto& worker : workers) worker.join();
}

void sim_server::stop() {
  for (auto& context : contexts_) context->stop();
}

}  // namespace almagate::sim
