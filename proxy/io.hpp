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

using executor = net::any_io_executor;
template <class T>
using awaitable = net::awaitable<T, executor>;
// co_await op(..., use_tuple) yields {error_code, ...} instead of throwing.
inline constexpr auto use_tuple = net::as_tuple(net::use_awaitable_t<executor>{});

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;
using steady_timer = net::steady_timer;

}  // namespace almagate
