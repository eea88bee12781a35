#include "proxy/admin_client.hpp"

#include <openssl/ssl.h>

#include <boost/url.hpp>

namespace almagate {

namespace {

struct endpoint_parts {
  bool tls = false;
  std::string host;
  std::string port;
  std::string prefix;  // base path without a trailing '/'
};

std::optional<endpoint_parts> split_base_url(std::string_view text, std::string& failure) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) {
    failure = "not a valid URL: " + std::string(text);
    return std::nullopt;
  }
  endpoint_parts parts;
  auto scheme = parsed->scheme_id();
  if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https) {
    failure = "the admin URL must start with http:// or https://";
    return std::nullopt;
  }
  parts.tls = scheme == boost::urls::scheme::https;
  parts.host = parsed->encoded_host();
  if (parts.host.empty()) {
    failure = "the admin URL has no host";
    return std::nullopt;
  }
  parts.port = parsed->has_port() ? std::string(parsed->port()) : parts.tls ? "443" : "80";
  parts.prefix = parsed->encoded_path();
  while (!parts.prefix.empty() && parts.prefix.back() == '/') parts.prefix.pop_back();
  return parts;
}

template <class Stream>
awaitable<void> exchange(Stream& stream, http::request<http::string_body>& req,
                         admin_reply& reply) {
  auto [wec, wn] = co_await http::async_write(stream, req, use_tuple);
  if (wec) {
    reply.failure = "sending the request failed: " + wec.message();
    co_return;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_tuple);
  if (rec) {
    reply.failure = rec == beast::error::timeout ? "no answer in time"
                                                  : "reading the answer failed: " + rec.message();
    co_return;
  }
  reply.status = parser.get().result_int();
  reply.content_type = parser.get()[http::field::content_type];
  reply.body = std::move(parser.get().body());
}

awaitable<void> run_call(const admin_client_options& options, const endpoint_parts& parts,
                         http::verb method, std::string target, std::string body,
                         admin_reply& reply) {
  auto ex = co_await net::this_coro::executor;
  tcp_resolver resolver(ex);
  std::string host = parts.host;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  auto [rec, endpoints] = co_await resolver.async_resolve(host, parts.port, use_tuple);
  if (rec) {
    reply.failure = "cannot resolve " + parts.host + ": " + rec.message();
    co_return;
  }
  plain_stream tcp_stream(ex);
  // One deadline for the whole call: connect, handshake, write and read.
  tcp_stream.expires_after(options.timeout);
  auto [cec, ep] = co_await tcp_stream.async_connect(endpoints, use_tuple);
  if (cec) {
    reply.failure = cec == beast::error::timeout ? "connecting timed out"
                                                  : "cannot connect: " + cec.message();
    co_return;
  }

  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, parts.host + ":" + parts.port);
  req.set(http::field::user_agent, "almagate-cli");
  req.set(http::field::accept, "application/json, text/csv, text/plain");
  if (!options.token.empty()) req.set(http::field::authorization, "Bearer " + options.token);
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = std::move(body);
  req.keep_alive(false);
  req.prepare_payload();

  if (!parts.tls) {
    co_await exchange(tcp_stream, req, reply);
    co_return;
  }
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_default_verify_paths();
  ctx.set_verify_mode(ssl::verify_peer);
  tls_stream stream(std::move(tcp_stream), ctx);
  SSL_set_tlsext_host_name(stream.native_handle(), parts.host.c_str());
  stream.set_verify_callback(ssl::host_name_verification(parts.host));
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
  if (hec) {
    reply.failure = "TLS handshake failed: " + hec.message();
    co_return;
  }
  co_await exchange(stream, req, reply);
}

}  // namespace

admin_reply admin_call(const admin_client_options& options, http::verb method,
                       std::string_view target, std::string body) {
  admin_reply reply;
  auto parts = split_base_url(options.base_url, reply.failure);
  if (!parts) return reply;
  net::io_context ioc;
  net::co_spawn(ioc,
                run_call(options, *parts, method, parts->prefix + std::string(target),
                         std::move(body), reply),
                [&reply](std::exception_ptr e) {
                  if (!e) return;
                  try {
                    std::rethrow_exception(e);
                  } catch (const std::exception& x) {
                    reply.failure = x.what();
                  }
                });
  ioc.run();
  return reply;
}

}  // namespace almagate
