#include "proxy/server.hpp"

#include <sys/socket.h>

#include <thread>

#include "proxy/session.hpp"

namespace almagate {

namespace {
tcp::endpoint resolve_listen(const listen_address& listen) {
  net::io_context io;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(listen.host, std::to_string(listen.port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service);
  return results.begin()->endpoint();
}

std::unique_ptr<tcp::acceptor> open_acceptor(net::io_context& io, const tcp::endpoint& ep) {
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  acceptor->open(ep.protocol());
  acceptor->set_option(net::socket_base::reuse_address(true));
  int one = 1;
  ::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  acceptor->bind(ep);
  acceptor->listen(net::socket_base::max_listen_connections);
  return acceptor;
}
}  // namespace

server::server(config_ptr cfg) : shared_(std::make_unique<gateway>(cfg)) {
  unsigned threads = cfg->threads ? cfg->threads : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < threads; ++i) workers_.push_back(std::make_unique<worker>(*shared_));
}

server::~server() = default;

void server::bind() {
  auto cfg = shared_->snapshot();
  auto ep = resolve_listen(cfg->listen);
  for (auto& w : workers_) {
    acceptors_.push_back(open_acceptor(w->io(), ep));
    // Every further acceptor joins the port the first one got.
    if (ep.port() == 0) ep.port(acceptors_.front()->local_endpoint().port());
  }
  port_ = ep.port();
}

awaitable<void> server::accept_loop(tcp::acceptor& acceptor, worker& owner) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors or similar: log and go on; never stop accepting for good.
      shared_->log().warn("accept failed: {}", ec.message());
      continue;
    }
    auto serve = shared_->client_tls() ? serve_tls_connection(std::move(socket), owner)
                                       : serve_plain_connection(std::move(socket), owner);
    net::co_spawn(owner.io(), std::move(serve), net::detached);
  }
}

void server::run() {
  auto& main_io = workers_.front()->io();
  net::signal_set signals(main_io, SIGINT, SIGTERM);
  signals.async_wait([this](error_code ec, int signal) {
    if (ec) return;
    shared_->log().info("signal {}: stopping", signal);
    stop();
  });
  for (std::size_t i = 0; i < workers_.size(); ++i)
    net::co_spawn(workers_[i]->io(), accept_loop(*acceptors_[i], *workers_[i]), net::detached);

  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < workers_.size(); ++i)
    threads.emplace_back([w = workers_[i].get()] { w->io().run(); });
  main_io.run();
  for (auto& t : threads) t.join();
}

void server::stop() {
  for (auto& w : workers_) w->io().stop();
}

}  // namespace almagate
