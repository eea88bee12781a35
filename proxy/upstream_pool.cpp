#include "proxy/upstream_pool.hpp"

#include <sys/socket.h>

namespace almagate {

namespace {
// A pooled connection the upstream has closed, or that holds unexpected bytes, is unusable.
bool looks_alive(upstream_connection& c) {
  auto& socket = c.tcp().socket();
  if (!socket.is_open()) return false;
  if (auto* tls = std::get_if<tls_socket>(&c.stream); tls && tls->holds_unread()) return false;
  char byte;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return false;                  // orderly close
  if (n > 0) return false;                   // stray bytes: out of sync
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

// The TLS handshake, by `due` (the connection is closed then).
awaitable<error_code> handshake(tls_socket& tls, deadline::clock::time_point due) {
  deadline watch(tls.get_executor(), tls.next_layer());
  watch.start_until(due);
  auto [ec, ignored] = co_await tls.async_handshake(use_tuple_on<tls_socket>);
  watch.stop();
  co_return watch.reason(ec);
}
}  // namespace

std::unique_ptr<ssl::context> make_upstream_tls_context(const std::string& upstream_ca) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx->set_default_verify_paths();
  if (!upstream_ca.empty()) ctx->load_verify_file(upstream_ca);
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

upstream_connection_ptr upstream_pool::take_idle(const std::string& key,
                                                 std::chrono::milliseconds max_idle,
                                                 bool may_skip_check,
                                                 std::chrono::steady_clock::time_point now) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  while (!list.empty()) {
    // Most recently used first: it is the least likely to have been closed by the upstream.
    auto c = std::move(list.back());
    list.pop_back();
    auto idle = now - c->idle_since;
    bool fresh = may_skip_check && idle < std::chrono::seconds(1) && c->tcp().socket().is_open();
    if (idle < max_idle && (fresh || looks_alive(*c))) {
      c->reused = true;
      return c;
    }
  }
  return nullptr;
}

awaitable<connect_result> upstream_pool::acquire(const upstream_url& upstream,
                                                 std::chrono::milliseconds connect_timeout,
                                                 bool may_skip_check) {
  const std::string& key = upstream.text;
  if (auto c = take_idle(key, max_idle_, may_skip_check, std::chrono::steady_clock::now()))
    co_return connect_result{std::move(c), connect_failure::none, {}};

  connect_result result;
  tcp_resolver resolver(ex_);
  auto give_up_at = std::chrono::steady_clock::now() + connect_timeout;
  steady_timer resolve_timer(ex_);
  resolve_timer.expires_at(give_up_at);
  resolve_timer.async_wait([&resolver](error_code ec) {
    if (!ec) resolver.cancel();
  });
  auto [rec, endpoints] =
      co_await resolver.async_resolve(upstream.host, std::to_string(upstream.port), use_tuple);
  resolve_timer.cancel();
  if (rec) {
    result.failure = rec == net::error::operation_aborted ? connect_failure::timeout
                                                          : connect_failure::resolve;
    result.ec = rec;
    co_return result;
  }

  plain_stream tcp(ex_);
  tcp.expires_at(give_up_at);
  auto [cec, ep] = co_await tcp.async_connect(endpoints, use_tuple);
  if (cec) {
    result.failure = cec == beast::error::timeout ? connect_failure::timeout
                                                  : connect_failure::connect;
    result.ec = cec;
    co_return result;
  }
  tcp.socket().set_option(tcp::no_delay(true));
  tcp.expires_never();

  if (!upstream.tls) {
    result.connection = std::make_unique<upstream_connection>(std::move(tcp));
  } else {
    tls_socket tls(std::move(tcp));
    if (!tls.prepare_client(tls_context_, upstream.host, result.ec)) {
      result.failure = connect_failure::tls;
      co_return result;
    }
    if (auto hec = co_await handshake(tls, give_up_at)) {
      result.failure = hec == beast::error::timeout ? connect_failure::timeout
                                                    : connect_failure::tls;
      result.ec = hec;
      co_return result;
    }
    result.connection = std::make_unique<upstream_connection>(std::move(tls));
  }
  result.connection->pool_key = key;
  co_return result;
}

void upstream_pool::release(upstream_connection_ptr connection, const limits& limit,
                            std::chrono::steady_clock::time_point now) {
  max_idle_ = limit.upstream_idle_timeout;
  auto& list = idle_[connection->pool_key];
  if (list.size() >= limit.upstream_idle_per_thread) return;  // dropped: closes
  connection->idle_since = now;
  list.push_back(std::move(connection));
}

std::size_t upstream_pool::idle_count() const {
  std::size_t n = 0;
  for (const auto& [key, list] : idle_) n += list.size();
  return n;
}

}  // namespace almagate
