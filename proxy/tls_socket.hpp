#pragma once
// TLS on an upstream connection, with OpenSSL working on the connection itself (as nginx's
// does) rather than through Asio's TLS engine.
//
// Asio's engine passes every record through a pair of memory BIOs (copied in and out), clears
// OpenSSL's error queue around each step, and is a composed operation that takes only
// completion tokens of the older kind, so each read and write on a call's path kept a
// coroutine frame of its own. Here the records OpenSSL writes go straight to the socket
// (send), and the ciphertext it reads comes from a buffer that the socket's own reads fill:
// those reads go through Asio's reactor as on a plain connection, so they need no readiness
// wait of their own. Operations take any completion token (net::deferred on a call's path);
// one operation at a time (an upstream connection writes its call, then reads the answer).

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>

#include "proxy/io.hpp"

namespace almagate {

struct tls_engine;  // the TLS state and the ciphertext OpenSSL has not yet taken (the .cpp)

class tls_socket {
 public:
  using executor_type = executor;

  // The connection under TLS: connected, not yet shaken hands.
  explicit tls_socket(plain_stream stream);
  tls_socket(tls_socket&&) noexcept;
  tls_socket& operator=(tls_socket&&) = delete;  // as plain_stream
  ~tls_socket();

  // Client side for `host` (a DNS name or an IP literal): the certificate is verified against
  // the context's trust and must name `host`; the name goes in SNI when it is not an address.
  // False (with `ec`): OpenSSL refused the setup.
  bool prepare_client(ssl::context& context, const std::string& host, error_code& ec);

  // Whether bytes have arrived that no read took yet (ciphertext held, or data decrypted): on
  // an idle connection, something the peer sent unasked (an alert, a close).
  bool holds_unread() const;

  executor_type get_executor() { return stream_.get_executor(); }
  plain_stream& next_layer() { return stream_; }
  const plain_stream& next_layer() const { return stream_; }

  // Encrypts and sends what the kernel takes now of `buffers`; returns the bytes taken. `ec`
  // is would_block when it took no more (the rest goes through async_write_some, which must
  // then be given the same bytes next: OpenSSL holds the record half sent).
  template <class ConstBuffers>
  std::size_t write_now(const ConstBuffers& buffers, error_code& ec);

  template <class Token>
  auto async_handshake(Token&& token);
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token);
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token);

  // What OpenSSL asks for before a step can go on, or done (with the step's ec and bytes).
  enum class step { done, want_read, want_write };

 private:
  template <class Action>
  struct operation;

  // One step of each kind on what is held now, without waiting.
  step handshake_step(error_code& ec);
  step read_step(net::mutable_buffer into, std::size_t& n, error_code& ec);
  step write_step(net::const_buffer from, std::size_t& n, error_code& ec);
  // Room for ciphertext from the socket, then what a read into it gave.
  net::mutable_buffer ciphertext_room();
  void ciphertext_read(std::size_t n);
  // A failed read of ciphertext as the TLS read's failure: a close between records is the
  // end of the stream; within one, a cut.
  error_code ciphertext_failure(const error_code& ec) const;

  // Up to a record's worth of `buffers` as one piece: a first piece that is large (or alone)
  // as it is, else the pieces copied together into a per-thread buffer. The same `buffers`
  // give the same bytes: what a write retried after would_block must pass again.
  template <class ConstBuffers>
  static net::const_buffer one_piece(const ConstBuffers& buffers);

  plain_stream stream_;
  std::unique_ptr<tls_engine> engine_;  // held apart: OpenSSL's BIO refers to it
};

inline constexpr std::size_t tls_record_bytes = 16 * 1024;

template <class ConstBuffers>
net::const_buffer tls_socket::one_piece(const ConstBuffers& buffers) {
  thread_local std::array<char, tls_record_bytes> joined;
  auto it = net::buffer_sequence_begin(buffers);
  const auto end = net::buffer_sequence_end(buffers);
  while (it != end && net::const_buffer(*it).size() == 0) ++it;
  if (it == end) return {};
  net::const_buffer first = *it;
  auto next = it;
  ++next;
  while (next != end && net::const_buffer(*next).size() == 0) ++next;
  if (next == end || first.size() >= joined.size())
    return {first.data(), std::min<std::size_t>(first.size(), 4 * tls_record_bytes)};
  std::size_t used = 0;
  for (; it != end && used < joined.size(); ++it) {
    net::const_buffer b = *it;
    std::size_t take = std::min(b.size(), joined.size() - used);
    std::memcpy(joined.data() + used, b.data(), take);
    used += take;
  }
  return {joined.data(), used};
}

template <class ConstBuffers>
std::size_t tls_socket::write_now(const ConstBuffers& buffers, error_code& ec) {
  beast::buffers_suffix<ConstBuffers> rest(buffers);
  std::size_t sent = 0;
  while (net::buffer_size(rest) > 0) {
    std::size_t n = 0;
    if (write_step(one_piece(rest), n, ec) != step::done) {
      ec = net::error::would_block;
      break;
    }
    if (ec) break;
    sent += n;
    rest.consume(n);
  }
  return sent;
}

// A TLS operation: steps of `Action` until one is done, reading ciphertext or waiting for
// room to write between them. Done at once, it completes through the executor, not inside
// the call that started it (as Asio's own operations do).
template <class Action>
struct tls_socket::operation {
  tls_socket& socket;
  Action action;
  enum { starting, reading, waiting, posted } state = starting;
  error_code result_ec{};
  std::size_t result_n = 0;

  template <class Self>
  void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
    switch (state) {
      case posted: return self.complete(result_ec, result_n);
      case reading:
        if (ec) return self.complete(socket.ciphertext_failure(ec), 0);
        socket.ciphertext_read(n);
        break;
      case waiting:
        if (ec) return self.complete(ec, 0);
        break;
      case starting: break;
    }
    const bool first = state == starting;
    switch (action(result_ec, result_n)) {
      case step::done:
        if (!first) return self.complete(result_ec, result_n);
        state = posted;
        return net::post(socket.get_executor(), std::move(self));
      case step::want_read:
        state = reading;
        return socket.stream_.socket().async_read_some(socket.ciphertext_room(), std::move(self));
      case step::want_write:
        state = waiting;
        return socket.stream_.socket().async_wait(tcp_socket::wait_write, std::move(self));
    }
  }
};

template <class Token>
auto tls_socket::async_handshake(Token&& token) {
  auto act = [this](error_code& ec, std::size_t&) { return handshake_step(ec); };
  return net::async_compose<Token, void(error_code, std::size_t)>(
      operation<decltype(act)>{*this, act}, token, stream_.socket());
}

template <class MutableBuffers, class Token>
auto tls_socket::async_read_some(const MutableBuffers& buffers, Token&& token) {
  // Into the first piece with room: a read fills one piece (as a socket's read_some may).
  net::mutable_buffer into;
  for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
       ++it) {
    into = *it;
    if (into.size() > 0) break;
  }
  auto act = [this, into](error_code& ec, std::size_t& n) { return read_step(into, n, ec); };
  return net::async_compose<Token, void(error_code, std::size_t)>(
      operation<decltype(act)>{*this, act}, token, stream_.socket());
}

template <class ConstBuffers, class Token>
auto tls_socket::async_write_some(const ConstBuffers& buffers, Token&& token) {
  // The same bytes at every step: a record half sent is finished before any other.
  auto act = [this, buffers](error_code& ec, std::size_t& n) {
    return write_step(one_piece(buffers), n, ec);
  };
  return net::async_compose<Token, void(error_code, std::size_t)>(
      operation<decltype(act)>{*this, act}, token, stream_.socket());
}

}  // namespace almagate
