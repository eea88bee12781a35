#include "proxy/session.hpp"

#include <sys/socket.h>

#include <array>
#include <charconv>
#include <chrono>
#include <optional>
#include <utility>

#include "policy/decision.hpp"
#include "policy/location.hpp"
#include "policy/rate_limit_headers.hpp"
#include "proxy/access_log.hpp"
#include "proxy/direct_io.hpp"
#include "proxy/headers.hpp"
#include "proxy/relay.hpp"
#include "proxy/simple_request.hpp"
#include "proxy/simple_response.hpp"
#include "proxy/wire.hpp"
#include <boost/asio/experimental/awaitable_operators.hpp>
#include "proxy/request_id.hpp"

namespace almagate {

namespace {

using clock = std::chrono::steady_clock;

double ms_between(clock::time_point a, clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

bool is_normal_ending(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof ||
         ec == ssl::error::stream_truncated || ec == net::error::operation_aborted ||
         ec == net::error::connection_reset || ec == beast::error::timeout;
}

// Bytes read only to be dropped (a refused call's small body, what a closing script still
// sends): one buffer per thread, shared by all of its loop's connections, instead of 4 KiB in
// each coroutine frame (10,000 connections closing at once held 40 MB for a moment).
net::mutable_buffer discard_buffer() {
  thread_local std::array<char, 4096> sink;
  return net::buffer(sink);
}

// Parses what `buffer` holds of a message's header. True: the header is whole, or `ec` says
// why it is not valid. False: more bytes are needed (the parser takes the header only whole,
// so the bytes stay in `buffer` until it is).
template <bool is_request>
bool parse_buffered_header(http::parser<is_request, http::buffer_body>& parser,
                           beast::flat_buffer& buffer, error_code& ec) {
  while (buffer.size() > 0 && !parser.is_header_done()) {
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more) {
      ec = {};
      return false;
    }
    if (ec) return true;
    if (used == 0) return false;
  }
  return parser.is_header_done();
}

// What a failed read means for the message being read, as Beast's own reads say it: the peer
// closing before a message began is end_of_stream, in the middle of one partial_message.
template <bool is_request>
error_code read_failure(const error_code& read_ec,
                        http::parser<is_request, http::buffer_body>& parser) {
  if (read_ec != net::error::eof) return read_ec;
  if (!parser.got_some()) return http::error::end_of_stream;
  error_code ec;
  parser.put_eof(ec);
  return ec;
}

// Reads a message's header into `parser` with the stream's own reads, all of them by `due`:
// http::async_read_header's two composed layers over the read cost more than the read itself.
// The errors are Beast's (read_failure; a deadline passed is beast::error::timeout).
template <class Stream, bool is_request>
awaitable<error_code> read_header(Stream& stream, deadline& watch, deadline::clock::time_point due,
                                  beast::flat_buffer& buffer,
                                  http::parser<is_request, http::buffer_body>& parser) {
  error_code ec;
  while (!parse_buffered_header(parser, buffer, ec)) {
    watch.start_until(due);
    auto [rec, n] = co_await io_object(stream).async_read_some(
        buffer.prepare(beast::read_size(buffer, 65536)), use_tuple_on<Stream>);
    watch.stop();
    if (rec) co_return read_failure(watch.reason(rec), parser);
    buffer.commit(n);
  }
  co_return ec;
}

struct scoped_count {
  explicit scoped_count(std::atomic<int>& n) : count(n) { count.fetch_add(1, std::memory_order_relaxed); }
  ~scoped_count() { count.fetch_sub(1, std::memory_order_relaxed); }
  std::atomic<int>& count;
};

// How one forwarding attempt ended.
enum class exchange_end {
  done,              // response relayed (fully or as far as the script let us)
  retry,             // a reused connection was dead before anything happened: try a new one
  paced_retry,       // Alma refused for speed (it processed nothing): take a new slot, retry
  upstream_failed,   // nothing sent to the script yet: answer 502
  upstream_timeout,  // nothing sent to the script yet: answer 504
  client_failed,     // the script went away or broke the body: close
  body_too_large,    // the request body passed max_body_bytes: answer 413
};

// What the gateway adds to each answer: the call's X-Request-Id, Retry-After on a refusal, and
// the client's allowance (replacing Alma's X-Exl-Api-Remaining). Written after the message's
// own fields as it is formatted (wire.hpp), or set into them for Beast's serializer.
class added_fields {
 public:
  added_fields(std::string_view request_id, const std::optional<rate_limit_fields>& rate,
               std::string_view retry_after = {}) {
    fields_[n_++] = {"X-Request-Id", request_id};
    if (!retry_after.empty()) fields_[n_++] = {"Retry-After", retry_after};
    if (rate) {
      fields_[n_++] = {"RateLimit-Policy", rate->policy};
      fields_[n_++] = {"RateLimit", rate->limit};
      fields_[n_++] = {"X-Exl-Api-Remaining", rate->exl_remaining};
    }
  }
  // Takes the upstream's own fields of these names out: only the gateway's go to the script.
  void erase_from(http::fields& f) const {
    for (const auto& field : fields()) f.erase(field.name);
  }
  void set_into(http::fields& f) const {
    for (const auto& field : fields()) f.set(field.name, field.value);
  }
  std::span<const extra_field> fields() const { return {fields_.data(), n_}; }

 private:
  std::array<extra_field, 5> fields_{};
  std::size_t n_ = 0;
};

template <class Stream>
class session {
 public:
  session(Stream& stream, worker& owner, bool tls)
      : stream_(stream),
        owner_(owner),
        shared_(owner.shared()),
        tls_(tls),
        watch_(lowest().get_executor(), lowest()) {}

  awaitable<void> run() {
    shared_.metrics.open_connections.inc();
    struct closing {
      gauge& g;
      ~closing() { g.dec(); }
    } on_close{shared_.metrics.open_connections};
    bool first = true;
    for (;;) {
      // Waits for the script's next call holding only this frame, the stream and a small
      // read buffer: no parser, no call state (the connection's one timer keeps the
      // deadline), so that thousands of idle keep-alive connections cost little memory. The
      // buffer is the size of a usual call's header, which then arrives in one read (a
      // one-byte read, as before, took a second system call for the rest); 10,000 idle
      // connections hold 5 MB of it. A buffer grown by a larger call is given back. The
      // connection ends when closed, or idle past the keep-alive timeout (the header timeout
      // for a new connection's first call). (Here, not in a coroutine of its own: a frame
      // less per call.)
      if (buffer_.size() == 0) {  // else pipelined: the next call is already here
        if (buffer_.capacity() > idle_read_bytes) buffer_.shrink_to_fit();  // empty: frees it
        {
          auto cfg = shared_.snapshot();  // not held while idle
          watch_.start(first ? cfg->limit.client_header_timeout : cfg->limit.keepalive_timeout);
        }
        auto [ec, n] = co_await io_object(stream_).async_read_some(
            buffer_.prepare(idle_read_bytes), use_tuple_on<Stream>);
        watch_.stop();
        if (ec || n == 0) break;
        buffer_.commit(n);
      }
      bool keep = co_await handle_call();
      if (!unsent_.empty()) keep = co_await send_unsent() && keep;
      if (!keep) break;
      first = false;
    }
    co_await close();
  }

 private:
  static constexpr std::size_t idle_read_bytes = 512;

  struct call {
    request_id id = request_id::make();
    clock::time_point started = clock::now();
    config_ptr cfg;
    body_format format = body_format::xml;
    unsigned version = 11;
    bool keep_alive = true;
    bool head = false;
    access_record record;
    std::optional<rate_limit_fields> rate_headers;  // the client's daily allowance
    std::string target;  // as the script sent it
    bool expects_continue = false;  // the script waits for 100 Continue before its body
    const simple_request* simple = nullptr;  // the call as recognised, else in Beast's parser
    std::string request_head;  // a bodyless call's header as forwarded, else empty
  };

  // Whether the call has been read whole (header and body, if any).
  static bool request_read(const call& c, const http::request_parser<http::buffer_body>& parser) {
    return c.simple || parser.is_done();
  }

  // The call's first bytes have arrived (run): the rest of its header has the
  // header timeout.
  awaitable<bool> handle_call() {
    auto cfg = shared_.snapshot();
    const limits& limit = cfg->limit;
    http::request_parser<http::buffer_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limit.max_header_bytes));
    parser.body_limit(limit.max_body_bytes);

    // The usual call is recognised from its bytes (simple_request.hpp), which stay in the
    // buffer until the call is over; anything else goes through Beast's parser.
    std::optional<simple_request> simple;
    error_code ec;
    bool received_now = false;
    // The whole header within the header timeout (from its first read), however it trickles.
    due_from_first_read header_due(limit.client_header_timeout);
    for (;;) {
      const auto held = buffer_.data();
      const std::string_view bytes(static_cast<const char*>(held.data()), held.size());
      if (auto end = header_end(bytes); end != std::string_view::npos) {
        simple.emplace();
        if (!recognise_simple_request(bytes.substr(0, end), limit.max_header_bytes, *simple))
          simple.reset();
        break;
      }
      // Not whole, or not framed as the recogniser expects: Beast's parser judges it.
      if (parse_buffered_header(parser, buffer_, ec)) break;
      if constexpr (is_plain_stream<Stream>) {
        // The rest is usually there already: once, without an asynchronous read.
        if (!std::exchange(received_now, true)) {
          error_code ignored;  // a closed or failing connection shows again on the next read
          const std::size_t got =
              receive_now(stream_, buffer_.prepare(beast::read_size(buffer_, 65536)), ignored);
          buffer_.commit(got);
          if (got > 0) continue;
        }
      }
      watch_.start_until(header_due.get());
      auto [rec, n] = co_await io_object(stream_).async_read_some(
          buffer_.prepare(beast::read_size(buffer_, 65536)), use_tuple_on<Stream>);
      watch_.stop();
      if (rec) {
        ec = read_failure(watch_.reason(rec), parser);
        break;
      }
      buffer_.commit(n);
    }
    if (!simple && !ec)
      ec = co_await read_header(stream_, watch_, header_due.get(), buffer_, parser);
    struct consume_when_done {
      beast::flat_buffer& buffer;
      std::size_t bytes;
      ~consume_when_done() { buffer.consume(bytes); }
    } header_bytes{buffer_, simple ? simple->header_bytes : 0};
    call c;
    c.cfg = std::move(cfg);
    if (ec) {
      c.keep_alive = false;
      if (ec == http::error::body_limit) {
        // The header was read whole: answer in the format the script asked for.
        auto target = parse_target(parser.get().target());
        c.format = preferred_format(target.target ? target.target->format : std::string_view{},
                                    parser.get()[http::field::accept]);
        c.version = parser.get().version();
        refusal r{413, "REQUEST_TOO_LARGE", "The request body is too large."};
        send_refusal(c, std::move(r));
      } else if (ec == http::error::header_limit) {
        refusal r{413, "REQUEST_TOO_LARGE", "The request header is too large."};
        send_refusal(c, std::move(r));
      } else if (!is_normal_ending(ec) && ec != http::error::partial_message) {
        refusal r{400, "INVALID_REQUEST", "The request is not valid HTTP."};
        send_refusal(c, std::move(r));
      }
      co_return false;
    }

    scoped_count in_flight(shared_.calls_in_flight);
    request_view view;
    std::string_view accept;
    bool keep_alive = false;
    if (simple) {
      c.simple = &*simple;
      c.version = simple->version;
      keep_alive = simple->keep_alive;
      view.method = simple->method;
      c.target = simple->target;
      view.authorization.assign(simple->authorization.begin(),
                                simple->authorization.begin() +
                                    static_cast<std::ptrdiff_t>(simple->authorization_count));
      view.has_method_override = simple->has_method_override;
      accept = simple->accept;
    } else {
      auto& req = parser.get();
      c.version = req.version();
      keep_alive = req.keep_alive();
      view.method = req.method_string();
      // The decision's views point into the target; keep it while the forwarded copy changes.
      c.target = req.target();
      for (auto it = req.find(http::field::authorization);
           it != req.end() && it->name() == http::field::authorization; ++it)
        view.authorization.push_back(it->value());
      view.has_method_override = has_method_override(req);
      accept = req[http::field::accept];
    }
    view.target = c.target;
    c.keep_alive = keep_alive && !shared_.draining.load(std::memory_order_relaxed);
    c.head = view.method == "HEAD";
    c.record.method = view.method;

    decision d = decide(view, *c.cfg);
    c.format = preferred_format(d.format_param, accept);
    if (d.who) c.record.client = d.who->id;
    if (d.env) c.record.environment = d.env->name;
    if (d.area_) c.record.area = area_name(*d.area_);
    if (d.needed != access::none) c.record.access = access_name(d.needed);
    std::string redacted;  // the script's own target, redacted, for a call that goes nowhere
    if (d.forward) c.record.path = d.forward->target.log_target();
    else c.record.path = redacted = redact_target(c.target);

    if (!d.forward) {
      if (d.who && d.env && d.area_)
        shared_.metrics.calls_total(d.who->id, d.env->name, *d.area_, call_outcome::refused_scope)
            .inc();
      if (auto kept = refuse_now(c, parser, d.refused)) co_return *kept;
      co_return co_await refuse_after_body(c, parser, std::move(d.refused));
    }
    if (auto length = parser.content_length();
        !simple && length && *length > limit.max_body_bytes) {
      refusal r{413, "REQUEST_TOO_LARGE", "The request body is too large."};
      if (auto kept = refuse_now(c, parser, r)) co_return *kept;
      co_return co_await refuse_after_body(c, parser, std::move(r));
    }

    // The charge first, and with no coroutine frame where the store is not needed: a call
    // over its quota, the pool or a reserve is refused here (a refusal remembered, or spent
    // leases), before forward's frame.
    auto charging = owner_.budget().context_for(*d.forward);
    auto charged_now = owner_.budget().charge_now(*c.cfg, *d.forward, charging);
    if (charged_now && !charged_now->ticket) {
      note_charge_refused(c, *d.forward, *charged_now);
      if (auto kept = refuse_now(c, parser, charged_now->refused)) co_return *kept;
      co_return co_await refuse_after_body(c, parser, std::move(charged_now->refused));
    }
    co_return co_await forward(c, parser, *d.forward, charging, charged_now);
  }

  // A call its budget refused: counted, and its rate-limit fields kept for the answer.
  void note_charge_refused(call& c, const forward_plan& plan, budget_outcome& charged) {
    c.rate_headers = std::move(charged.headers);
    shared_.metrics.calls_total(plan.who->id, plan.env->name, plan.area_, charged.refused_as).inc();
  }

  // `charged_now`: the charge if it was decided without the store (charge_now), else empty.
  // Both live in the caller's frame, which awaits this one.
  awaitable<bool> forward(call& c, http::request_parser<http::buffer_body>& parser,
                          const forward_plan& plan, budget_gate::charge_context& charging,
                          std::optional<budget_outcome>& charged_now) {
    auto& req = parser.get();
    const limits& limit = c.cfg->limit;
    const auto& up = plan.env->upstream;
    // The real key's field. Per thread, and used before any co_await: another call on this
    // loop may set it while this one waits.
    thread_local std::string authorization;
    bool expects_continue = false;
    std::string host_header;
    if (c.simple) {
      host_header = c.simple->host;
    } else {
      expects_continue = beast::iequals(req[http::field::expect], "100-continue");
      host_header = req[http::field::host];
      req.target(plan.target.upstream_target);
      strip_hop_by_hop(req);
      strip_client_credentials(req);
      req.erase(http::field::expect);
      authorization.assign("apikey ").append(plan.key->secret);
      req.set(http::field::authorization, authorization);
      req.set(http::field::host, up.host_field);
      req.version(11);
      req.keep_alive(true);
    }
    c.expects_continue = expects_continue;
    const bool bodyless = request_read(c, parser);

    // (No co_await inside ?: : GCC 12 mishandles the temporaries.)
    if (!charged_now)
      charged_now = co_await owner_.budget().charge_from_store(*c.cfg, plan, std::move(charging));
    budget_outcome& charged = *charged_now;
    if (!charged.ticket) {
      note_charge_refused(c, plan, charged);
      if (auto kept = refuse_now(c, parser, charged.refused)) co_return *kept;
      co_return co_await refuse_after_body(c, parser, std::move(charged.refused));
    }
    c.rate_headers = std::move(charged.headers);
    const budget_ticket& ticket = *charged.ticket;
    if (budget_gate::paces(plan))
      if (auto ended = co_await wait_turn(c, parser, plan, ticket, true)) co_return *ended;

    if (expects_continue && !bodyless) {
      // The script waits for this before it sends the body; it has passed every check.
      static constexpr std::string_view interim = "HTTP/1.1 100 Continue\r\n\r\n";
      if (co_await write_all(stream_, watch_, net::buffer(interim), limit.client_body_timeout))
        co_return false;
    }

    // A bodyless call's header, formatted once for every attempt (exchange), and only for a
    // call that goes: a header alone goes out in one write the kernel takes at once.
    if (c.simple) {
      authorization.assign("apikey ").append(plan.key->secret);
      write_forwarded_request_header(*c.simple, plan.target.upstream_target, authorization,
                                     up.host_field, c.request_head);
    } else if (bodyless && !req.chunked()) {
      c.request_head = wire_header(req);
    }

    int stale_retries = 0;
    for (;;) {
      bool may_skip_check = bodyless && stale_retries == 0;
      connect_result connected{owner_.pool().try_idle(up, may_skip_check), {}, {}};
      if (!connected.connection)
        connected = co_await owner_.pool().acquire(up, limit.upstream_connect_timeout,
                                                   may_skip_check);
      if (!connected.connection) {
        owner_.budget().refund(ticket);
        bool timeout = connected.failure == connect_failure::timeout;
        shared_.log().warn("request {}: upstream {} unreachable: {}", c.id.view(), up.text,
                           connected.ec.message());
        c.record.outcome = "upstream_unreachable";
        refusal r = upstream_refusal(timeout, "The upstream could not be reached.");
        if (auto kept = refuse_now(c, parser, r)) co_return *kept;
        co_return co_await refuse_after_body(c, parser, std::move(r));
      }
      auto connection = std::move(connected.connection);
      auto attempt_call = std::visit(
          [&](auto& upstream) {
            return exchange(c, parser, *connection, upstream, plan, ticket, host_header, bodyless);
          },
          connection->stream);
      exchange_end end = co_await std::move(attempt_call);
      switch (end) {
        case exchange_end::done: {
          const auto ended = clock::now();  // one clock read for the pool and the log
          if (reusable_) owner_.pool().release(std::move(connection), limit, ended);
          owner_.budget().record_usage(ticket, plan, c.record.status);
          log_call(c, ended);
          co_return c.keep_alive;
        }
        case exchange_end::retry:
          if (++stale_retries > 1) {
            c.keep_alive = c.keep_alive && request_read(c, parser);
            refusal r{502, "GENERAL_ERROR", "The upstream failed to answer."};
            send_refusal(c, std::move(r));
            co_return c.keep_alive;
          }
          continue;
        case exchange_end::paced_retry: {
          // Alma did not process the call: it waits for a new slot and goes again, charged once.
          if (reusable_) owner_.pool().release(std::move(connection), limit);
          shared_.metrics.upstream_per_second_refusals_total(plan.env->name).inc();
          if (auto ended = co_await wait_turn(c, parser, plan, ticket, false)) co_return *ended;
          continue;
        }
        case exchange_end::upstream_failed:
        case exchange_end::upstream_timeout: {
          bool timeout = end == exchange_end::upstream_timeout;
          c.record.outcome = "upstream_error";
          c.keep_alive = c.keep_alive && request_read(c, parser);
          refusal r = upstream_refusal(timeout, "The upstream failed to answer.");
          send_refusal(c, std::move(r));
          co_return c.keep_alive;
        }
        case exchange_end::body_too_large: {
          c.keep_alive = false;
          refusal r{413, "REQUEST_TOO_LARGE", "The request body is too large."};
          send_refusal(c, std::move(r));
          co_return false;
        }
        case exchange_end::client_failed:
          c.record.outcome = "client_aborted";
          c.record.status = 499;
          log_call(c);
          co_return false;
      }
    }
  }

  // Takes the call's slot in its pool's schedule and waits for it. nullopt: go on. Otherwise the
  // call ended here (refused for speed, or its script went away) and the value says whether
  // the connection serves another call.
  awaitable<std::optional<bool>> wait_turn(call& c,
                                           http::request_parser<http::buffer_body>& parser,
                                           const forward_plan& plan, const budget_ticket& ticket,
                                           bool first_attempt) {
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - c.started);
    auto paced = co_await owner_.budget().pace(*c.cfg, plan, waited);
    if (!paced.go) {
      // Refused before it reached Alma: uncharged. A retry's call reached Alma once: charged.
      if (first_attempt) owner_.budget().refund(ticket);
      shared_.metrics.calls_total(plan.who->id, plan.env->name, plan.area_, paced.refused_as).inc();
      if (auto kept = refuse_now(c, parser, paced.refused)) co_return *kept;
      co_return co_await refuse_after_body(c, parser, std::move(paced.refused));
    }
    if (paced.wait.count() <= 0) co_return std::nullopt;
    c.record.wait_ms += std::chrono::duration<double, std::milli>(paced.wait).count();
    bool present = co_await wait_while_connected(paced.wait);
    if (present) co_return std::nullopt;
    owner_.budget().release(paced);
    if (first_attempt) owner_.budget().refund(ticket);
    c.record.outcome = "client_gone_while_waiting";
    c.record.status = 499;
    log_call(c);
    co_return false;
  }

  // Waits `wait` on a timer (no thread held); false if the script closed its connection
  // meanwhile. Bytes it sends meanwhile (a body, a pipelined call) are not a close.
  awaitable<bool> wait_while_connected(std::chrono::microseconds wait) {
    using namespace net::experimental::awaitable_operators;
    steady_timer timer(co_await net::this_coro::executor);
    timer.expires_after(wait);
    auto& socket = lowest().socket();
    for (;;) {
      auto first = co_await (timer.async_wait(use_tuple) ||
                             socket.async_wait(tcp::socket::wait_read, use_tuple));
      if (first.index() == 0) co_return true;
      char byte;
      ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) co_return false;
      // The timer's wait was cancelled when the socket won; its expiry stands.
      if (n > 0) break;
      // Nothing to read after all: a readiness left over from bytes already read (the header
      // is read past the reactor, see handle_call). Wait again.
    }
    co_await timer.async_wait(use_tuple);
    co_return true;
  }

  template <class Upstream>
  awaitable<exchange_end> exchange(call& c, http::request_parser<http::buffer_body>& parser,
                                   upstream_connection& connection, Upstream& upstream,
                                   const forward_plan& plan, const budget_ticket& ticket,
                                   std::string_view host_header, bool bodyless) {
    const limits& limit = c.cfg->limit;
    reusable_ = false;
    auto sent_at = clock::now();
    relay_result sent;
    if (!c.request_head.empty()) {
      // The usual call: a header alone, in one write the kernel takes at once.
      const auto head = net::buffer(c.request_head);
      std::size_t written = 0;
      if (!write_now(upstream, head, written, sent.write_ec))
        sent.write_ec = co_await write_rest(upstream, connection.watch, head, written,
                                            limit.client_body_timeout);
    } else {
      sent = co_await relay_message(stream_, watch_, buffer_, parser, upstream, connection.watch,
                                    limit.client_body_timeout, limit.client_body_timeout);
    }
    c.record.bytes_in = sent.body_bytes;
    if (sent.read_ec) {
      co_return sent.read_ec == http::error::body_limit ? exchange_end::body_too_large
                                                        : exchange_end::client_failed;
    }
    if (sent.write_ec)
      co_return connection.reused && bodyless ? exchange_end::retry
                                               : exchange_end::upstream_failed;

    http::response_parser<http::buffer_body> response;
    response.body_limit(boost::none);
    response.header_limit(64 * 1024);
    if (c.head) response.skip(true);
    // The usual answer is recognised and passed on from its bytes (simple_response.hpp), its
    // body (up to small_body_bytes) read whole first; anything else goes through Beast's
    // parser.
    std::optional<simple_response> simple;
    error_code ec;
    // The whole header within the response timeout, however it trickles.
    due_from_first_read answer_due(limit.upstream_response_timeout);
    bool body_read_after = false;  // then the recognised header's views may have moved
    for (;;) {
      const auto held = connection.buffer.data();
      const std::string_view bytes(static_cast<const char*>(held.data()), held.size());
      if (!simple) {
        const auto end = header_end(bytes);
        if (end != std::string_view::npos) {
          if (c.head) break;
          simple.emplace();
          if (!recognise_simple_response(bytes.substr(0, end), *simple)) {
            simple.reset();
            break;
          }
        } else if (parse_buffered_header(response, connection.buffer, ec)) {
          // Not whole, or not framed as the recogniser expects: Beast's parser judges it.
          break;
        }
      }
      if (simple) {
        if (bytes.size() - simple->header_bytes >= simple->content_length) break;
        // A small body still on its way is read here too: over TLS (and any real network) it
        // often comes in a record or segment of its own, after the header's.
        if (simple->content_length > small_body_bytes) {
          simple.reset();
          break;
        }
      }
      if (simple) connection.watch.start(limit.upstream_response_timeout);
      else connection.watch.start_until(answer_due.get());
      auto [rec, n] = co_await io_object(upstream).async_read_some(
          connection.buffer.prepare(beast::read_size(connection.buffer, 65536)),
          use_tuple_on<Upstream>);
      connection.watch.stop();
      if (rec) {
        if (simple) {
          // The answer had begun: it is cut (never retried: the call reached Alma).
          simple.reset();
          ec = connection.watch.expired() ? error_code(beast::error::timeout)
                                          : error_code(http::error::partial_message);
        } else {
          ec = read_failure(connection.watch.reason(rec), response);
        }
        break;
      }
      connection.buffer.commit(n);
      body_read_after = simple.has_value();
    }
    if (simple && body_read_after) {
      // The same header, where the buffer now holds it.
      const std::size_t header_bytes = simple->header_bytes;
      const auto held = connection.buffer.data();
      simple.emplace();
      if (!recognise_simple_response(
              std::string_view(static_cast<const char*>(held.data()), header_bytes), *simple))
        simple.reset();  // (not on the same bytes; if it did, Beast's parser takes the answer)
    }
    if (!simple && !ec)
      ec = co_await read_header(upstream, connection.watch, answer_due.get(), connection.buffer,
                                response);
    if (ec) {
      if (connection.reused && bodyless &&
          (ec == http::error::end_of_stream || ec == net::error::connection_reset))
        co_return exchange_end::retry;
      co_return ec == beast::error::timeout ? exchange_end::upstream_timeout
                                            : exchange_end::upstream_failed;
    }
    c.record.upstream_ms = ms_between(sent_at, clock::now());
    shared_.metrics.calls_total(plan.who->id, plan.env->name, plan.area_, call_outcome::forwarded)
        .inc();
    shared_.metrics.upstream_latency_seconds(plan.env->name).observe(c.record.upstream_ms / 1000);

    if (simple) {
      if (ticket.headers) owner_.budget().observe_upstream(ticket, simple->exl_remaining, false);
      const added_fields added(c.id, ticket.headers);
      c.record.status = simple->status;
      c.record.outcome = "forwarded";
      std::string head;
      write_simple_response_header(*simple, added.fields(), !c.keep_alive, added.fields(), head);
      const auto out = whole_response(connection, head, simple->header_bytes, simple->content_length);
      std::size_t sent = 0;
      error_code wec;
      if (!write_now(stream_, out, sent, wec))
        wec = co_await write_rest(stream_, watch_, out, sent, limit.client_body_timeout);
      co_return whole_response_sent(c, connection, simple->header_bytes, simple->content_length,
                                    simple->keep_alive, wec);
    }

    auto& res = response.get();
    bool upstream_keep_alive = res.keep_alive();
    strip_hop_by_hop(res);
    if (res.result_int() / 100 == 3) {
      if (auto location = res.find(http::field::location); location != res.end()) {
        // The gateway's own base, as the script reached it.
        std::string public_base = (tls_ ? "https://" : "http://") +
                                  (is_plausible_host(host_header) ? std::string(host_header)
                                                                  : listen_host());
        if (auto rewritten = rewrite_location(location->value(), plan.env->upstream, public_base,
                                              plan.target.environment))
          res.set(http::field::location, *rewritten);
      }
    }
    if (ticket.headers) owner_.budget().observe_upstream(ticket, res["X-Exl-Api-Remaining"], false);
    const added_fields added(c.id, ticket.headers);
    added.erase_from(res);
    c.record.status = res.result_int();
    c.record.outcome = "forwarded";
    if (res.result() == http::status::too_many_requests) {
      // Alma's own refusal: small, and its errorCode decides what the budget does.
      bool may_retry = bodyless && budget_gate::paces(plan);
      added.set_into(res);
      co_return co_await relay_upstream_refusal(c, upstream, connection, response, ticket,
                                                upstream_keep_alive, may_retry);
    }
    if (c.version < 11 && res.chunked()) {
      // An HTTP/1.0 script cannot read chunks: send the body raw and close.
      res.chunked(false);
      c.keep_alive = false;
    }
    res.keep_alive(c.keep_alive);

    // The usual Alma answer: a Content-Length body already read whole with the header. It goes
    // back in one gather write of a hand-formatted header and the body straight from the
    // connection's buffer (HEAD, 204/304, chunked and longer bodies take the relay).
    if (auto length = response.content_length();
        length && !response.is_done() && !res.chunked() && *length <= connection.buffer.size()) {
      const std::string head = wire_header(res, added.fields());
      const auto out = whole_response(connection, head, 0, *length);
      std::size_t sent = 0;
      error_code wec;
      if (!write_now(stream_, out, sent, wec))
        wec = co_await write_rest(stream_, watch_, out, sent, limit.client_body_timeout);
      co_return whole_response_sent(c, connection, 0, *length, upstream_keep_alive, wec);
    }

    added.set_into(res);
    auto relayed = co_await relay_message(upstream, connection.watch, connection.buffer, response,
                                          stream_, watch_, limit.upstream_response_timeout,
                                          limit.client_body_timeout);
    c.record.bytes_out = relayed.body_bytes;
    if (!relayed && relayed.read_ec && !relayed.header_sent) {
      // The upstream broke off before the script got anything: it still gets an answer.
      c.record.status = 0;
      c.record.outcome = {};
      co_return relayed.read_ec == beast::error::timeout ? exchange_end::upstream_timeout
                                                         : exchange_end::upstream_failed;
    }
    if (!relayed) {
      c.keep_alive = false;
      if (relayed.write_ec) c.record.outcome = "client_aborted";
      else c.record.outcome = "upstream_broke_body";
      co_return exchange_end::done;
    }
    reusable_ = upstream_keep_alive && response.is_done() && !response.need_eof();
    co_return exchange_end::done;
  }

  // The largest body read whole with its header (the usual Alma answer is far smaller); a
  // larger one is relayed in pieces.
  static constexpr std::uint64_t small_body_bytes = 64 * 1024;

  // The answer to send whole: `head`, then the body of `body_size` bytes that follows `skip`
  // bytes of the upstream connection's buffer, in one gather write.
  static std::array<net::const_buffer, 2> whole_response(const upstream_connection& connection,
                                                         const std::string& head,
                                                         std::size_t skip,
                                                         std::uint64_t body_size) {
    const auto* held = static_cast<const char*>(connection.buffer.data().data());
    return {net::buffer(head), net::buffer(held + skip, static_cast<std::size_t>(body_size))};
  }

  // After whole_response went (`ec`: or failed): its bytes leave the connection's buffer.
  exchange_end whole_response_sent(call& c, upstream_connection& connection, std::size_t skip,
                                   std::uint64_t body_size, bool upstream_keep_alive,
                                   const error_code& ec) {
    connection.buffer.consume(skip + static_cast<std::size_t>(body_size));
    reusable_ = upstream_keep_alive;
    if (ec) {
      c.keep_alive = false;
      c.record.outcome = "client_aborted";
      return exchange_end::done;
    }
    c.record.bytes_out = body_size;
    return exchange_end::done;
  }

  static refusal upstream_refusal(bool timeout, std::string failure) {
    if (timeout) return {504, "GENERAL_ERROR", "The upstream did not answer in time."};
    return {502, "GENERAL_ERROR", std::move(failure)};
  }

  // Answers with an Alma-style error, with no coroutine frame, once the call was read whole;
  // nullopt (nothing done) while a body is still to come: refuse_after_body.
  std::optional<bool> refuse_now(call& c, const http::request_parser<http::buffer_body>& parser,
                                 refusal& r) {
    if (!request_read(c, parser)) return std::nullopt;
    send_refusal(c, std::move(r));
    return c.keep_alive;
  }

  // A small unread body is read and dropped so the connection can serve the next call; a
  // large one (or a script waiting for 100 Continue) closes it.
  awaitable<bool> refuse_after_body(call& c, http::request_parser<http::buffer_body>& parser,
                                    refusal r) {
    bool drained = co_await drain_small_body(c, parser);
    c.keep_alive = c.keep_alive && drained;
    send_refusal(c, std::move(r));
    co_return c.keep_alive;
  }

  awaitable<bool> drain_small_body(call& c, http::request_parser<http::buffer_body>& parser) {
    constexpr std::uint64_t most = 64 * 1024;
    auto length = parser.content_length();
    if (!length || *length > most) co_return false;
    if (c.expects_continue || beast::iequals(parser.get()[http::field::expect], "100-continue"))
      co_return false;
    auto sink = discard_buffer();
    while (!parser.is_done()) {
      parser.get().body().data = sink.data();
      parser.get().body().size = sink.size();
      watch_.start(c.cfg->limit.client_body_timeout);
      auto [ec, n] = co_await http::async_read(stream_, buffer_, parser, use_tuple);
      watch_.stop();
      if (ec && ec != http::error::need_buffer) co_return false;
    }
    co_return true;
  }

  // Sends an Alma-style error for the call: what the kernel takes at once, the rest (rarely
  // any) kept in unsent_ for run() to send before the connection reads again.
  void send_refusal(call& c, refusal r) {
    char retry_after[24];
    std::string_view retry_after_text;
    if (r.retry_after_seconds) {
      auto end = std::to_chars(retry_after, retry_after + sizeof retry_after, r.retry_after_seconds).ptr;
      retry_after_text = {retry_after, static_cast<std::size_t>(end - retry_after)};
    }
    const added_fields added(c.id, c.rate_headers, retry_after_text);
    std::string body = alma_error_body(c.format, r.code, r.message, c.id);
    c.record.status = r.status;
    c.record.error_code = r.code;
    if (c.record.outcome.empty()) c.record.outcome = "refused";
    c.record.bytes_out = c.head ? 0 : body.size();
    log_call(c);
    // (A HEAD call is told the length of the body it does not get.)
    const std::string head = own_response_header(r.status, c.version, content_type_of(c.format),
                                                 body.size(), c.keep_alive, added.fields());
    if (c.head) body.clear();
    const std::array<net::const_buffer, 2> out{net::buffer(head), net::buffer(body)};
    std::size_t sent = 0;
    error_code ec;
    if (!write_now(stream_, out, sent, ec)) {
      beast::buffers_suffix<decltype(out)> rest(out);
      rest.consume(sent);
      unsent_ = beast::buffers_to_string(rest);
    }
    if (ec) c.keep_alive = false;
  }

  // An answer's rest the kernel did not take at once (send_refusal); false if it failed.
  awaitable<bool> send_unsent() {
    const auto timeout = shared_.snapshot()->limit.client_body_timeout;
    const error_code ec = co_await write_all(stream_, watch_, net::buffer(unsent_), timeout);
    unsent_.clear();
    co_return !ec;
  }

  // Reads Alma's 429 whole (it is small), tells the budget when the day is spent, and passes
  // the refusal on to the script.
  template <class Upstream>
  awaitable<exchange_end> relay_upstream_refusal(call& c, Upstream& upstream,
                                                 upstream_connection& connection,
                                                 http::response_parser<http::buffer_body>& parser,
                                                 const budget_ticket& ticket,
                                                 bool upstream_keep_alive, bool may_retry) {
    const limits& limit = c.cfg->limit;
    std::string body;
    std::array<char, 4096> chunk;
    while (!parser.is_done() && body.size() < 64 * 1024) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      connection.watch.start(limit.upstream_response_timeout);
      auto [ec, n] = co_await http::async_read(upstream, connection.buffer, parser, use_tuple);
      connection.watch.stop();
      if (ec && ec != http::error::need_buffer) co_return exchange_end::upstream_failed;
      body.append(chunk.data(), chunk.size() - parser.get().body().size);
    }
    if (!parser.is_done()) co_return exchange_end::upstream_failed;
    bool daily = body.find("DAILY_THRESHOLD") != std::string::npos;
    if (daily) owner_.budget().observe_upstream(ticket, {}, true);
    if (!daily && may_retry) {
      reusable_ = upstream_keep_alive && !parser.need_eof();
      co_return exchange_end::paced_retry;
    }
    c.record.error_code = daily ? "DAILY_THRESHOLD" : "PER_SECOND_THRESHOLD";

    http::response<http::string_body> out{parser.get().result(), 11};
    for (const auto& field : parser.get()) out.insert(field.name_string(), field.value());
    out.erase(http::field::transfer_encoding);
    out.body() = std::move(body);
    out.keep_alive(c.keep_alive);
    out.prepare_payload();
    if (c.head) out.body().clear();
    c.record.bytes_out = out.body().size();
    watch_.start(limit.client_body_timeout);
    auto [ec, n] = co_await http::async_write(stream_, out, use_tuple);
    watch_.stop();
    if (ec) c.keep_alive = false;
    reusable_ = upstream_keep_alive && !parser.need_eof();
    co_return exchange_end::done;
  }

  void log_call(call& c, clock::time_point ended = clock::now()) {
    c.record.request_id = c.id;
    c.record.total_ms = ms_between(c.started, ended);
    shared_.access_log().write(owner_.io(), c.record);
  }

  std::string listen_host() const {
    const auto& l = shared_.snapshot()->listen;
    return l.host + ":" + std::to_string(lowest().socket().local_endpoint().port());
  }

  // Lingering close: stop sending, then read and drop what the script still sends for a
  // moment, so a refusal sent before its body was read is not lost to a connection reset.
  awaitable<void> close() {
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      watch_.start(std::chrono::seconds(2));
      co_await stream_.async_shutdown(use_tuple);
      watch_.stop();
    }
    error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) co_return;
    auto sink = discard_buffer();
    std::size_t drained = 0;
    // One deadline for the whole drain, not one a read.
    watch_.start(std::chrono::seconds(2));
    while (drained < 64 * 1024 * 1024) {
      auto [rec, n] = co_await lowest().socket().async_read_some(sink, use_tuple_on<plain_stream>);
      if (rec) break;
      drained += n;
    }
    watch_.stop();
  }

  plain_stream& lowest() const { return beast::get_lowest_layer(stream_); }

  Stream& stream_;
  worker& owner_;
  gateway& shared_;
  bool tls_;
  deadline watch_;  // of the script's connection (Beast's stream timers stay unarmed)
  bool reusable_ = false;
  beast::flat_buffer buffer_;
  std::string unsent_;  // a refusal's bytes the kernel did not take at once (send_refusal)
};

}  // namespace

awaitable<void> serve_plain_connection(tcp_socket socket, worker& owner) {
  socket.set_option(tcp::no_delay(true));
  plain_stream stream(std::move(socket));
  session<plain_stream> s(stream, owner, false);
  co_await s.run();
}

awaitable<void> serve_tls_connection(tcp_socket socket, worker& owner) {
  socket.set_option(tcp::no_delay(true));
  tls_stream stream(plain_stream(std::move(socket)), *owner.shared().client_tls());
  beast::get_lowest_layer(stream).expires_after(
      owner.shared().snapshot()->limit.client_header_timeout);
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
  if (ec) co_return;
  // From here the session's own deadline times the connection.
  beast::get_lowest_layer(stream).expires_never();
  session<tls_stream> s(stream, owner, true);
  co_await s.run();
}

}  // namespace almagate
