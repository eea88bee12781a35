#pragma once
// The one place that names the I/O types: change executors, streams and timers here.

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace almagate {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;

// Every event loop is one io_context run by one thread: its own executor type, named here,
// spares each operation the type erasure of any_io_executor.
using executor = net::io_context::executor_type;
template <class T>
using awaitable = net::awaitable<T, executor>;
// co_await op(..., use_tuple) yields {error_code, ...} instead of throwing.
inline constexpr auto use_tuple = net::as_tuple(net::use_awaitable_t<executor>{});

// The same for a read or write on `Stream` on a call's path: the operation is deferred and
// started by the awaiting coroutine itself, where use_tuple wraps it in a coroutine frame of
// its own (an allocation and a resumption more). Beast's ssl_stream (and its http operations)
// takes only completion tokens of the older kind: use_tuple. It serves only scripts that
// reach the gateway over TLS; upstream TLS is proxy/tls_socket.hpp.
template <class Stream>
struct beast_ssl : std::false_type {};
template <class Next>
struct beast_ssl<beast::ssl_stream<Next>> : std::true_type {};
template <class Stream>
inline constexpr auto use_tuple_on = [] {
  if constexpr (beast_ssl<Stream>::value)
    return use_tuple;
  else
    return net::as_tuple(net::deferred);
}();

using tcp_socket = net::basic_stream_socket<tcp, executor>;
using tcp_acceptor = net::basic_socket_acceptor<tcp, executor>;
using tcp_resolver = net::ip::basic_resolver<tcp, executor>;
using steady_timer = net::basic_waitable_timer<std::chrono::steady_clock,
                                               net::wait_traits<std::chrono::steady_clock>, executor>;
using plain_stream = beast::basic_stream<tcp, executor>;
using tls_stream = beast::ssl_stream<plain_stream>;

}  // namespace almagate
