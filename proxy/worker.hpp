#pragma once
// One event loop and what belongs to it alone: its acceptor(s) and its upstream pool.

#include <memory>
#include <thread>

#include "proxy/budget_gate.hpp"
#include "proxy/gateway.hpp"
#include "proxy/upstream_pool.hpp"

namespace almagate {

class worker {
 public:
  worker(gateway& shared, gauge& connections);

  gateway& shared() { return shared_; }
  net::io_context& io() { return io_; }
  upstream_pool& pool() { return pool_; }
  budget_gate& budget() { return budget_; }

  // Script connections this loop serves (or has been handed and will serve); read by the
  // other loops' acceptors to balance new connections.
  gauge& connections;

 private:
  gateway& shared_;
  // One thread runs this loop and only it touches the loop's sockets and timers (other
  // threads only post to it): no locking per socket operation.
  net::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  upstream_pool pool_;
  budget_gate budget_;
};

}  // namespace almagate
