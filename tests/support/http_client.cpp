#include "tests/support/http_client.hpp"

#include <array>
#include <exception>
#include <optional>

#include "tests/support/http_connection.hpp"

namespace almagate::test {
namespace {

using detail::clock;

template <class Fields>
header_list to_header_list(const Fields& fields) {
  header_list out;
  for (const auto& f : fields) out.emplace_back(std::string(f.name_string()), std::string(f.value()));
  return out;
}

bool has(const header_list& headers, std::string_view name) {
  for (const auto& [n, v] : headers)
    if (beast::iequals(n, name)) return true;
  return false;
}

// Request line and header fields for `method url headers`.
template <class Body>
void fill_head(http::request<Body>& req, std::string_view method, const detail::origin& o,
               const header_list& headers) {
  req.version(11);
  req.method_string(method);
  req.target(o.target);
  if (!has(headers, "Host")) req.set(http::field::host, o.host_header());
  for (const auto& [n, v] : headers) req.insert(n, v);
}

// Whether a failed call on a reused connection may be retried on a new one.
bool stale_connection(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::eof ||
         ec == ssl::error::stream_truncated;
}

}  // namespace

struct http_client::impl {
  client_options options;
  net::io_context io;
  ssl::context tls_context{ssl::context::tls_client};
  detail::connection conn{io.get_executor(), tls_context};
  std::size_t opened = 0;

  explicit impl(client_options o) : options(std::move(o)) {
    if (options.ca_file.empty())
      tls_context.set_default_verify_paths();
    else
      tls_context.load_verify_file(options.ca_file.string());
  }

  // Runs one coroutine on the client's own io_context to completion.
  template <class T>
  T run(awaitable<T> op) {
    io.restart();
    std::exception_ptr failure;
    std::optional<T> result;
    net::co_spawn(io, std::move(op), [&](std::exception_ptr e, T value) {
      failure = e;
      result = std::move(value);
    });
    io.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*result);
  }

  // A connection to `o`: the kept one if it is to the same origin, else a new one.
  awaitable<error_code> connect(const detail::origin& o, clock::time_point deadline,
                                bool& reused) {
    reused = options.keep_alive && conn.is_open() && conn.key() == o.key();
    if (reused) co_return error_code{};
    ++opened;
    co_return co_await conn.open(o, deadline);
  }

  void finish(bool keep) {
    if (!(keep && options.keep_alive)) conn.close();
  }

  awaitable<response> exchange(std::string method, detail::origin o, header_list headers,
                               std::string body, clock::time_point deadline, bool& stale) {
    response out;
    bool reused = false;
    if (auto ec = co_await connect(o, deadline, reused)) {
      out.error = ec;
      co_return out;
    }
    http::request<http::string_body> req;
    fill_head(req, method, o, headers);
    req.body() = std::move(body);
    const bool has_body_verb = method == "POST" || method == "PUT" || method == "PATCH";
    if (!has(headers, "Content-Length") && !has(headers, "Transfer-Encoding") &&
        (!req.body().empty() || has_body_verb))
      req.content_length(req.body().size());

    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    parser.header_limit(1024 * 1024);
    parser.skip(method == "HEAD");
    beast::flat_buffer buf;
    error_code write_ec, read_ec;
    auto write_and_read = [&](auto& s) -> awaitable<void> {
      conn.tcp().expires_at(deadline);
      auto [wec, wn] = co_await http::async_write(s, req, use_tuple);
      write_ec = wec;
      // The server may answer (413, 431, 400) before reading the whole request: read anyway.
      conn.tcp().expires_at(deadline);
      auto [rec, rn] = co_await http::async_read(s, buf, parser, use_tuple);
      read_ec = rec;
    };
    co_await conn.visit(write_and_read);
    // A kept connection the server had already closed: the caller retries on a new one.
    stale = read_ec && reused && !parser.got_some() && stale_connection(read_ec);
    if (read_ec) {
      out.error = write_ec ? write_ec : read_ec;
      conn.close();
      co_return out;
    }
    auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    out.headers = to_header_list(res);
    out.body = std::move(res.body());
    finish(!write_ec && res.keep_alive());
    co_return out;
  }

  awaitable<stream_response> exchange_streaming(std::string method, detail::origin o,
                                                header_list headers, std::uint64_t upload,
                                                clock::time_point deadline) {
    stream_response out;
    bool reused = false;
    if (auto ec = co_await connect(o, deadline, reused)) {
      out.error = ec;
      co_return out;
    }
    http::request<http::buffer_body> req;
    fill_head(req, method, o, headers);
    const bool has_body_verb = method == "POST" || method == "PUT" || method == "PATCH";
    if (!has(headers, "Transfer-Encoding") && !has(headers, "Content-Length") &&
        (upload > 0 || has_body_verb))
      req.content_length(upload);
    req.body().data = nullptr;
    req.body().more = true;

    error_code write_ec, read_ec;
    auto write_and_read = [&](auto& s) -> awaitable<void> {
      http::request_serializer<http::buffer_body> sr{req};
      conn.tcp().expires_at(deadline);
      auto [hec, hn] = co_await http::async_write_header(s, sr, use_tuple);
      write_ec = hec;
      std::array<char, 64 * 1024> chunk;
      while (!write_ec) {
        const auto n = static_cast<std::size_t>(
            std::min<std::uint64_t>(chunk.size(), upload - out.sent_bytes));
        for (std::size_t i = 0; i < n; ++i) chunk[i] = generated_byte(out.sent_bytes + i);
        req.body().data = n == 0 ? nullptr : chunk.data();
        req.body().size = n;
        req.body().more = n != 0;
        conn.tcp().expires_at(deadline);
        auto [wec, wn] = co_await http::async_write(s, sr, use_tuple);
        if (wec == http::error::need_buffer) wec = {};
        write_ec = wec;
        if (!write_ec) out.sent_bytes += n;
        if (n == 0) break;
      }

      http::response_parser<http::buffer_body> parser;
      parser.body_limit(boost::none);
      parser.header_limit(1024 * 1024);
      parser.skip(method == "HEAD");
      beast::flat_buffer buf;
      conn.tcp().expires_at(deadline);
      auto [rec, rn] = co_await http::async_read_header(s, buf, parser, use_tuple);
      read_ec = rec;
      out.body_checksum = checksum({});
      while (!read_ec && !parser.is_done()) {
        parser.get().body().data = chunk.data();
        parser.get().body().size = chunk.size();
        conn.tcp().expires_at(deadline);
        auto [bec, bn] = co_await http::async_read(s, buf, parser, use_tuple);
        if (bec == http::error::need_buffer) bec = {};
        read_ec = bec;
        const std::size_t got = chunk.size() - parser.get().body().size;
        out.body_bytes += got;
        out.body_checksum = checksum({chunk.data(), got}, out.body_checksum);
      }
      if (parser.is_header_done()) {
        out.status = static_cast<int>(parser.get().result_int());
        out.headers = to_header_list(parser.get());
      }
      if (!read_ec) finish(!write_ec && parser.get().keep_alive());
    };
    co_await conn.visit(write_and_read);
    if (read_ec) {
      out.error = write_ec ? write_ec : read_ec;
      conn.close();
    }
    co_return out;
  }
};

http_client::http_client(client_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

http_client::~http_client() = default;

response http_client::request(std::string_view method, std::string_view url,
                              const header_list& headers, const std::string& body) {
  auto o = detail::parse_origin(url);
  if (!o) {
    response out;
    out.error = boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
    return out;
  }
  const auto deadline = clock::now() + impl_->options.timeout;
  bool stale = false;
  response r = impl_->run(impl_->exchange(std::string(method), *o, headers, body, deadline, stale));
  if (stale) r = impl_->run(impl_->exchange(std::string(method), *o, headers, body, deadline, stale));
  return r;
}

stream_response http_client::request_streaming(std::string_view method, std::string_view url,
                                               const header_list& headers,
                                               std::uint64_t upload_bytes) {
  auto o = detail::parse_origin(url);
  if (!o) {
    stream_response out;
    out.error = boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
    return out;
  }
  const auto deadline = clock::now() + impl_->options.timeout;
  return impl_->run(
      impl_->exchange_streaming(std::string(method), *o, headers, upload_bytes, deadline));
}

std::size_t http_client::connections_opened() const { return impl_->opened; }

}  // namespace almagate::test
