#pragma once
// One non-blocking hiredis connection driven by an Asio event loop: the socket is watched with
// posix::stream_descriptor::async_wait, so no thread blocks on Redis. Commands carry a deadline;
// a command that misses it resets the connection. Lost connections come back by themselves,
// with exponential backoff. Use from the connection's event loop only.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>

#include "policy/budget_store_error.hpp"
#include "proxy/io.hpp"

struct redisAsyncContext;

namespace almagate {

struct redis_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  int db = 0;
  std::string password;  // never logged
  std::string key_prefix = "almagate:";  // before every key; tests use one per test
  std::chrono::milliseconds connect_timeout{1'000};
  std::chrono::milliseconds command_timeout{1'000};
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{5'000};
};

// "redis://[:password@]host[:port][/db]"; nullopt if malformed.
std::optional<redis_options> parse_redis_url(std::string_view url);

// A reply, copied out of hiredis.
struct redis_value {
  enum class kind : std::uint8_t { nil, integer, string, status, error, array };
  kind type = kind::nil;
  std::int64_t integer = 0;
  std::string text;  // string, status, error
  std::vector<redis_value> elements;

  bool is_error() const { return type == kind::error; }
};

class redis_connection : public std::enable_shared_from_this<redis_connection> {
 public:
  using handler_type = net::any_completion_handler<void(error_code, redis_value)>;

  static std::shared_ptr<redis_connection> create(executor ex, redis_options options);
  ~redis_connection();
  redis_connection(const redis_connection&) = delete;
  redis_connection& operator=(const redis_connection&) = delete;

  // Fails every command in flight and stops reconnecting.
  void close();
  bool connected() const { return state_ == state::connected; }
  bool closed() const { return state_ == state::closed; }
  const redis_options& options() const { return options_; }
  const executor& get_executor() const { return executor_; }

  // Completes with store_errc::unavailable at once while disconnected (reconnecting).
  template <class Token>
  auto async_command(std::vector<std::string> args, Token&& token) {
    return net::async_initiate<Token, void(error_code, redis_value)>(
        [this](auto handler, std::vector<std::string> args) {
          start_command(std::move(args), handler_type(std::move(handler)));
        },
        token, std::move(args));
  }

  // Fire and forget; dropped while disconnected.
  void send(std::vector<std::string> args);

 private:
  enum class state : std::uint8_t { disconnected, connecting, connected, closed };
  struct pending;
  friend struct redis_callbacks;

  redis_connection(executor ex, redis_options options);
  void connect();
  void on_connected(bool ok);
  void on_lost();
  void reset(store_errc why);
  void schedule_reconnect();
  void arm_watchdog();
  void start_command(std::vector<std::string> args, handler_type handler);
  bool submit(const std::vector<std::string>& args, pending* p);
  void complete(handler_type handler, error_code ec, redis_value value);

  executor executor_;
  redis_options options_;
  redisAsyncContext* context_ = nullptr;
  state state_ = state::disconnected;
  store_errc failure_ = store_errc::unavailable;  // what callbacks of a dropped context report
  std::deque<std::chrono::steady_clock::time_point> deadlines_;  // replies come in order
  std::chrono::steady_clock::time_point connect_deadline_;
  std::chrono::milliseconds backoff_;
  steady_timer reconnect_timer_;
  steady_timer watchdog_;
  bool reconnect_scheduled_ = false;
  bool watchdog_armed_ = false;
};

}  // namespace almagate
