#pragma once
// Two ends of one real loopback TCP connection, on one io_context, for tests of the gateway's
// own I/O pieces (direct reads and writes, deadlines).

#include "proxy/io.hpp"

namespace almagate::test {

struct loopback_pair {
  net::io_context io;
  plain_stream client{io};
  plain_stream server{io};
  loopback_pair() {
    tcp_acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), 0});
    client.socket().connect(acceptor.local_endpoint());
    server.socket() = acceptor.accept();
  }
};

}  // namespace almagate::test
