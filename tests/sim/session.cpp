#include "tests/sim/session.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "tests/sim/alma_api.hpp"
#include "tests/sim/control.hpp"
#include "tests/sim/reply_writer.hpp"

namespace almagate::sim {

namespace {

constexpr auto read_timeout = std::chrono::seconds(30);
constexpr auto handshake_timeout = std::chrono::seconds(10);
constexpr auto shutdown_timeout = std::chrono::seconds(5);
constexpr std::size_t chunk_size = 64 * 1024;
constexpr std::size_t control_body_limit = 1024 * 1024;

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(system_clock::now().time_since_epoch()).count();
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

using request_parser = http::request_parser<http::buffer_body>;

template <class Stream>
class session {
 public:
  session(Stream& stream, bool tls, std::uint16_t local_port, sim_state& state)
      : stream_(stream), writer_(stream), tls_(tls), local_port_(local_port), state_(state) {}

  // Serves requests until an error or a non-keep-alive answer. True: close politely.
  awaitable<bool> run() {
    for (;;) {
      request_parser parser;
      parser.body_limit(boost::none);
      beast::get_lowest_layer(stream_).expires_after(read_timeout);
      auto [ec, n] = co_await http::async_read_header(stream_, buffer_, parser, use_tuple);
      if (ec) co_return co_await refuse_malformed(ec);
      const double arrival = now_ms();
      auto& request = parser.get();
      const std::string_view target = request.target();

      std::uint64_t body_bytes = 0;
      sim_reply reply;
      if (is_control_target(target)) {
        std::string body;
        if (co_await read_body(parser, body_bytes, &body)) co_return false;
        reply = body_bytes > control_body_limit
                    ? error_reply(http::status::payload_too_large, "REQUEST_TOO_LARGE",
                                  "Control body too large.", body_format::json)
                    : handle_control(request.method(), target, body, state_);
      } else if (target.starts_with("/almaws/")) {
        alma_request head{request.method(), target,
                          request[http::field::authorization], request[http::field::accept],
                          request[http::field::host], tls_, local_port_, arrival};
        alma_decision decision = decide_alma(head, state_);
        if (co_await read_body(parser, body_bytes, nullptr)) {
          // The client left mid-body: recorded with status 0 (no answer).
          record(request, body_bytes, arrival, 0, decision.key);
          co_return false;
        }
        decision.finish(body_bytes);
        reply = std::move(decision.reply);
        co_await add_latency();
        // Recorded before the answer leaves, so a client that got it also sees the record.
        record(request, body_bytes, arrival, static_cast<unsigned>(reply.status), decision.key);
      } else {
        if (co_await read_body(parser, body_bytes, nullptr)) co_return false;
        reply = error_reply(http::status::not_found, "ROUTING_ERROR",
                            "No matching route for the request.",
                            choose_format("", request[http::field::accept]));
      }
      if (state_.verbose) log(request, reply);

      const bool keep_alive = request.keep_alive() && !reply.close;
      const bool head_only = request.method() == http::verb::head;
      if (co_await writer_.write(reply, request.version(), keep_alive, head_only))
        co_return false;
      if (!keep_alive) co_return true;
    }
  }

 private:
  // A request we could not parse gets a 400; normal endings just end.
  awaitable<bool> refuse_malformed(error_code ec) {
    const bool parse_error =
        ec.category() == http::make_error_code(http::error::bad_target).category();
    if (!parse_error || ec == http::error::end_of_stream || ec == http::error::partial_message)
      co_return false;
    sim_reply reply = error_reply(http::status::bad_request, "INVALID_REQUEST",
                                  "The request could not be parsed.", body_format::xml);
    co_await writer_.write(reply, 11, false, false);
    co_return true;
  }

  // Reads the body in chunks, counting it; keeps up to control_body_limit bytes in `keep`.
  awaitable<bool> read_body(request_parser& parser, std::uint64_t& bytes, std::string* keep) {
    while (!parser.is_done()) {
      if (!chunk_) chunk_ = std::make_unique<char[]>(chunk_size);
      parser.get().body().data = chunk_.get();
      parser.get().body().size = chunk_size;
      beast::get_lowest_layer(stream_).expires_after(read_timeout);
      auto [ec, n] = co_await http::async_read(stream_, buffer_, parser, use_tuple);
      const std::size_t got = chunk_size - parser.get().body().size;
      bytes += got;
      if (ec && ec != http::error::need_buffer) co_return true;
      if (keep && keep->size() < control_body_limit)
        keep->append(chunk_.get(), std::min(got, control_body_limit - keep->size()));
    }
    co_return false;
  }

  awaitable<void> add_latency() {
    const auto latency = state_.thresholds.latency();
    if (latency.count() <= 0) co_return;
    steady_timer timer(co_await net::this_coro::executor);
    timer.expires_after(latency);
    co_await timer.async_wait(use_tuple);
  }

  void record(const http::request<http::buffer_body>& request, std::uint64_t body_bytes,
              double arrival, unsigned status, const std::string& key) {
    if (!state_.requests.enabled()) return;
    request_record r;
    r.method = std::string(request.method_string());
    r.target = std::string(request.target());
    for (const auto& field : request)
      r.headers.emplace_back(lowercase(field.name_string()), std::string(field.value()));
    r.body_bytes = body_bytes;
    r.arrival_ms = arrival;
    r.status = status;
    r.key = key;
    state_.requests.add(std::move(r));
  }

  // Path only: the query may carry a key.
  void log(const http::request<http::buffer_body>& request, const sim_reply& reply) {
    std::string_view target = request.target();
    std::string_view path = target.substr(0, target.find('?'));
    std::fprintf(stderr, "alma-sim: %.*s %.*s -> %u\n",
                 static_cast<int>(request.method_string().size()), request.method_string().data(),
                 static_cast<int>(path.size()), path.data(), static_cast<unsigned>(reply.status));
  }

  Stream& stream_;
  reply_writer<Stream> writer_;
  beast::flat_buffer buffer_;
  std::unique_ptr<char[]> chunk_;  // request body chunks, allocated on the first body
  const bool tls_;
  const std::uint16_t local_port_;
  sim_state& state_;
};

std::uint16_t local_port_of(const tcp_socket& socket) {
  error_code ec;
  auto endpoint = socket.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

}  // namespace

awaitable<void> run_plain_session(tcp_socket socket, sim_state& state) {
  const std::uint16_t port = local_port_of(socket);
  plain_stream stream(std::move(socket));
  session<plain_stream> s(stream, false, port, state);
  if (co_await s.run()) {
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
}

awaitable<void> run_tls_session(tcp_socket socket, ssl::context& tls, sim_state& state) {
  const std::uint16_t port = local_port_of(socket);
  tls_stream stream(plain_stream(std::move(socket)), tls);
  beast::get_lowest_layer(stream).expires_after(handshake_timeout);
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
  if (ec) co_return;
  session<tls_stream> s(stream, true, port, state);
  if (co_await s.run()) {
    beast::get_lowest_layer(stream).expires_after(shutdown_timeout);
    co_await stream.async_shutdown(use_tuple);
  }
}

}  // namespace almagate::sim
