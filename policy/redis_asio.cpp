#include "policy/redis_asio.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/url/parse.hpp>

#include <charconv>

namespace almagate {

std::optional<redis_options> parse_redis_url(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "redis" || !parsed->has_authority()) return std::nullopt;
  redis_options out;
  out.host = parsed->host();
  if (out.host.empty()) return std::nullopt;
  if (parsed->has_port()) {
    const auto p = parsed->port_number();
    if (p == 0) return std::nullopt;
    out.port = p;
  }
  if (parsed->has_password()) out.password = parsed->password();
  std::string_view path = parsed->encoded_path();
  if (!path.empty() && path != "/") {
    path.remove_prefix(1);
    const auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), out.db);
    if (ec != std::errc{} || end != path.data() + path.size() || out.db < 0) return std::nullopt;
  }
  return out;
}

namespace {

// The socket of one hiredis context, watched by Asio. Lives while a wait refers to it.
struct socket_watch {
  socket_watch(executor ex, int fd, redisAsyncContext* ac) : descriptor(ex, fd), context(ac) {}
  net::posix::basic_stream_descriptor<executor> descriptor;
  redisAsyncContext* context;  // null once hiredis cleaned up
  bool reading = false, writing = false, read_armed = false, write_armed = false;
};
using watch_ptr = std::shared_ptr<socket_watch>;

watch_ptr& watch_of(void* privdata) { return *static_cast<watch_ptr*>(privdata); }

void arm(const watch_ptr& w, bool for_read) {
  bool& armed = for_read ? w->read_armed : w->write_armed;
  if (armed || !w->context) return;
  armed = true;
  const auto what = for_read ? net::posix::stream_descriptor::wait_read
                             : net::posix::stream_descriptor::wait_write;
  w->descriptor.async_wait(what, [w, for_read](error_code ec) {
    (for_read ? w->read_armed : w->write_armed) = false;
    const bool& wanted = for_read ? w->reading : w->writing;
    if (ec || !w->context || !wanted) return;
    if (for_read)
      redisAsyncHandleRead(w->context);
    else
      redisAsyncHandleWrite(w->context);
    // hiredis may have freed the context (cleanup nulls it) or dropped interest.
    if (w->context && (for_read ? w->reading : w->writing)) arm(w, for_read);
  });
}

void add_read(void* p) { auto& w = watch_of(p); w->reading = true; arm(w, true); }
void del_read(void* p) { watch_of(p)->reading = false; }
void add_write(void* p) { auto& w = watch_of(p); w->writing = true; arm(w, false); }
void del_write(void* p) { watch_of(p)->writing = false; }
void cleanup(void* p) {
  auto* holder = static_cast<watch_ptr*>(p);
  auto& w = *holder;
  w->context = nullptr;
  w->reading = w->writing = false;
  // hiredis closes the fd itself; release() also cancels our waits.
  (void)w->descriptor.release();
  delete holder;
}

void attach(redisAsyncContext* ac, executor ex) {
  auto* holder = new watch_ptr(std::make_shared<socket_watch>(ex, ac->c.fd, ac));
  ac->ev.data = holder;
  ac->ev.addRead = add_read;
  ac->ev.delRead = del_read;
  ac->ev.addWrite = add_write;
  ac->ev.delWrite = del_write;
  ac->ev.cleanup = cleanup;
}

redis_value copy_reply(const redisReply* r) {
  redis_value v;
  switch (r->type) {
    case REDIS_REPLY_STRING: v.type = redis_value::kind::string; v.text.assign(r->str, r->len); break;
    case REDIS_REPLY_STATUS: v.type = redis_value::kind::status; v.text.assign(r->str, r->len); break;
    case REDIS_REPLY_ERROR: v.type = redis_value::kind::error; v.text.assign(r->str, r->len); break;
    case REDIS_REPLY_INTEGER: v.type = redis_value::kind::integer; v.integer = r->integer; break;
    case REDIS_REPLY_ARRAY:
      v.type = redis_value::kind::array;
      for (std::size_t i = 0; i < r->elements; ++i) v.elements.push_back(copy_reply(r->element[i]));
      break;
    default: break;
  }
  return v;
}

}  // namespace

struct redis_connection::pending {
  handler_type handler;
};

// The C callbacks hiredis calls; ac->data is the redis_connection.
struct redis_callbacks {
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
    auto* self = static_cast<redis_connection*>(ac->data);
    if (!self->deadlines_.empty()) self->deadlines_.pop_front();
    if (!privdata) return;
    std::unique_ptr<redis_connection::pending> p(static_cast<redis_connection::pending*>(privdata));
    if (!reply)
      self->complete(std::move(p->handler), self->failure_, {});
    else
      self->complete(std::move(p->handler), {}, copy_reply(static_cast<redisReply*>(reply)));
  }
  static void on_connect(const redisAsyncContext* ac, int status) {
    static_cast<redis_connection*>(ac->data)->on_connected(status == REDIS_OK);
  }
  static void on_disconnect(const redisAsyncContext* ac, int) {
    static_cast<redis_connection*>(ac->data)->on_lost();
  }
};

std::shared_ptr<redis_connection> redis_connection::create(executor ex, redis_options options) {
  std::shared_ptr<redis_connection> self(new redis_connection(ex, std::move(options)));
  self->connect();
  return self;
}

redis_connection::redis_connection(executor ex, redis_options options)
    : executor_(ex),
      options_(std::move(options)),
      backoff_(options_.backoff_min),
      reconnect_timer_(ex),
      watchdog_(ex) {}

redis_connection::~redis_connection() { close(); }

void redis_connection::close() {
  if (state_ == state::closed) return;
  state_ = state::closed;
  reconnect_timer_.cancel();
  watchdog_.cancel();
  if (auto* ac = std::exchange(context_, nullptr)) {
    failure_ = store_errc::unavailable;
    redisAsyncFree(ac);
  }
  deadlines_.clear();
}

void redis_connection::connect() {
  reconnect_scheduled_ = false;
  if (state_ == state::closed) return;
  auto* ac = redisAsyncConnect(options_.host.c_str(), options_.port);
  if (!ac || ac->err) {
    if (ac) redisAsyncFree(ac);
    state_ = state::disconnected;
    schedule_reconnect();
    return;
  }
  ac->data = this;
  context_ = ac;
  state_ = state::connecting;
  failure_ = store_errc::unavailable;
  attach(ac, executor_);
  // Setting the connect callback starts the wait for the socket to become writable.
  redisAsyncSetConnectCallback(ac, redis_callbacks::on_connect);
  redisAsyncSetDisconnectCallback(ac, redis_callbacks::on_disconnect);
  connect_deadline_ = std::chrono::steady_clock::now() + options_.connect_timeout;
  // Queued now, so they go first once the socket is up.
  if (!options_.password.empty()) send({"AUTH", options_.password});
  if (options_.db != 0) send({"SELECT", std::to_string(options_.db)});
  arm_watchdog();
}

void redis_connection::on_connected(bool ok) {
  if (!ok) {
    // hiredis frees the context after this callback.
    context_ = nullptr;
    on_lost();
    return;
  }
  state_ = state::connected;
  backoff_ = options_.backoff_min;
}

void redis_connection::on_lost() {
  context_ = nullptr;
  deadlines_.clear();
  if (state_ == state::closed) return;
  state_ = state::disconnected;
  schedule_reconnect();
}

// A command missed its deadline (or the connect did): drop the connection and start again.
void redis_connection::reset(store_errc why) {
  auto* ac = std::exchange(context_, nullptr);
  failure_ = why;
  if (ac) redisAsyncFree(ac);
  failure_ = store_errc::unavailable;
  on_lost();
}

void redis_connection::schedule_reconnect() {
  if (reconnect_scheduled_ || state_ == state::closed) return;
  reconnect_scheduled_ = true;
  reconnect_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, options_.backoff_max);
  reconnect_timer_.async_wait([weak = weak_from_this()](error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->connect();
  });
}

void redis_connection::arm_watchdog() {
  if (watchdog_armed_ || state_ == state::closed) return;
  auto due = std::chrono::steady_clock::time_point::max();
  if (state_ == state::connecting) due = connect_deadline_;
  if (!deadlines_.empty()) due = std::min(due, deadlines_.front());
  if (due == std::chrono::steady_clock::time_point::max()) return;
  watchdog_armed_ = true;
  watchdog_.expires_at(due);
  watchdog_.async_wait([weak = weak_from_this()](error_code ec) {
    auto self = weak.lock();
    if (!self) return;
    self->watchdog_armed_ = false;
    if (ec || self->state_ == state::closed) return;
    const auto now = std::chrono::steady_clock::now();
    if (self->state_ == state::connecting && now >= self->connect_deadline_)
      self->reset(store_errc::timeout);
    else if (!self->deadlines_.empty() && now >= self->deadlines_.front())
      self->reset(store_errc::timeout);
    self->arm_watchdog();
  });
}

bool redis_connection::submit(const std::vector<std::string>& args, pending* p) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  if (redisAsyncCommandArgv(context_, redis_callbacks::on_reply, p, static_cast<int>(args.size()),
                            argv.data(), lens.data()) != REDIS_OK)
    return false;
  deadlines_.push_back(std::chrono::steady_clock::now() + options_.command_timeout);
  arm_watchdog();
  return true;
}

void redis_connection::start_command(std::vector<std::string> args, handler_type handler) {
  if (!context_ || state_ == state::disconnected || state_ == state::closed) {
    complete(std::move(handler), store_errc::unavailable, {});
    return;
  }
  auto p = std::make_unique<pending>(pending{std::move(handler)});
  if (!submit(args, p.get())) {
    complete(std::move(p->handler), store_errc::unavailable, {});
    return;
  }
  (void)p.release();  // owned by hiredis until on_reply
}

void redis_connection::send(std::vector<std::string> args) {
  if (context_ && state_ != state::closed) (void)submit(args, nullptr);
}

void redis_connection::complete(handler_type handler, error_code ec, redis_value value) {
  // Never resume the caller inside hiredis: post, so it may issue commands at once.
  net::post(executor_, [h = std::move(handler), ec, v = std::move(value)]() mutable {
    std::move(h)(ec, std::move(v));
  });
}

}  // namespace almagate
