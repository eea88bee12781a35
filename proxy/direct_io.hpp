#pragma once
// Plain TCP only: what the kernel takes or already holds, at once, without an asynchronous
// operation. An Asio operation costs an operation object, a trip through the scheduler and a
// coroutine resumption; a small response
// on a healthy connection is taken whole by the kernel, and a call's header is there with its
// first byte. What cannot be done at once is left to the asynchronous path, with its deadline.

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>

#include "proxy/deadline.hpp"
#include "proxy/io.hpp"
#include "proxy/tls_socket.hpp"

namespace almagate {

// Whether `Stream` is a plain TCP stream. A script's TLS stream keeps the asynchronous path (a
// record half written cannot be resumed by anything but Asio's TLS engine); an upstream's
// (tls_socket) writes at once through OpenSSL.
template <class Stream>
inline constexpr bool is_plain_stream = std::is_same_v<Stream, plain_stream>;

// What a read or write on `stream` goes through: for plain TCP, the socket itself. Beast's
// basic_stream wraps each operation in a composed one of its own (for timers the gateway does
// not arm: deadline.hpp keeps the time) and hands Asio a buffer sequence, which Asio reads
// with recvmsg and a vector; the socket's own read of one buffer is a recv.
template <class Stream>
auto& io_object(Stream& stream) {
  if constexpr (is_plain_stream<Stream>) return stream.socket();
  else return stream;
}

// Sends what the kernel takes now of `buffers` (at most 8 pieces); returns the bytes sent.
// `ec` is set on a failure, not when the kernel took less (or nothing: would_block).
template <class ConstBuffers>
std::size_t send_now(plain_stream& stream, const ConstBuffers& buffers, error_code& ec) {
  std::array<iovec, 8> pieces{};
  std::size_t count = 0;
  for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
       ++it) {
    net::const_buffer b = *it;
    if (b.size() == 0) continue;
    if (count == pieces.size()) break;
    pieces[count++] = {const_cast<void*>(b.data()), b.size()};
  }
  msghdr message{};
  message.msg_iov = pieces.data();
  message.msg_iovlen = count;
  const int fd = stream.socket().native_handle();
  ssize_t n;
  do {
    // One piece (a call's header) as send: the kernel need not copy in a message header and
    // a vector first.
    n = count == 1
            ? ::send(fd, pieces[0].iov_base, pieces[0].iov_len, MSG_DONTWAIT | MSG_NOSIGNAL)
            : ::sendmsg(fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) return static_cast<std::size_t>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK) ec = net::error::would_block;
  else ec = error_code(errno, boost::system::system_category());
  return 0;
}

// Reads what the kernel holds now, up to `into.size()` bytes. 0 with `ec` would_block: nothing
// yet; 0 with net::error::eof: the peer closed.
inline std::size_t receive_now(plain_stream& stream, net::mutable_buffer into, error_code& ec) {
  ssize_t n;
  do {
    n = ::recv(stream.socket().native_handle(), into.data(), into.size(), MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n > 0) return static_cast<std::size_t>(n);
  if (n == 0) ec = net::error::eof;
  else if (errno == EAGAIN || errno == EWOULDBLOCK) ec = net::error::would_block;
  else ec = error_code(errno, boost::system::system_category());
  return 0;
}

// Sends what the kernel takes of `buffers` now (plain TCP and upstream TLS; a script's TLS
// connection sends nothing here). True: all of it went, or the connection failed (`ec`).
// False: `sent` bytes went; write_rest sends the others. Callers use the two directly rather
// than through write_all where a call's coroutine frame counts.
template <class Stream, class ConstBuffers>
bool write_now(Stream& stream, const ConstBuffers& buffers, std::size_t& sent, error_code& ec) {
  sent = 0;
  if constexpr (is_plain_stream<Stream> || std::is_same_v<Stream, tls_socket>) {
    if constexpr (is_plain_stream<Stream>) sent = send_now(stream, buffers, ec);
    else sent = stream.write_now(buffers, ec);
    if (ec == net::error::would_block) ec = {};
    return ec || sent == net::buffer_size(buffers);
  } else {
    (void)stream;
    (void)buffers;
    (void)ec;
    return false;
  }
}

// The rest of `buffers` after `sent` bytes, written asynchronously within `timeout` (kept by
// `watch`, the stream's deadline).
template <class Stream, class ConstBuffers>
awaitable<error_code> write_rest(Stream& stream, deadline& watch, const ConstBuffers& buffers,
                                 std::size_t sent, std::chrono::milliseconds timeout) {
  beast::buffers_suffix<ConstBuffers> rest(buffers);
  rest.consume(sent);
  watch.start(timeout);
  auto [ec, n] = co_await net::async_write(io_object(stream), rest, use_tuple_on<Stream>);
  watch.stop();
  co_return watch.reason(ec);
}

// Writes all of `buffers`: what the kernel takes at once (plain TCP), the rest asynchronously
// within `timeout`.
template <class Stream, class ConstBuffers>
awaitable<error_code> write_all(Stream& stream, deadline& watch, const ConstBuffers& buffers,
                                std::chrono::milliseconds timeout) {
  std::size_t sent = 0;
  error_code ec;
  if (write_now(stream, buffers, sent, ec)) co_return ec;
  co_return co_await write_rest(stream, watch, buffers, sent, timeout);
}

}  // namespace almagate
