#include "policy/redis_store.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <unordered_map>

#include "almagate/lua_scripts.hpp"

namespace almagate {

namespace {

struct lua_script {
  explicit lua_script(std::string_view text) : body(text) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), md, &len, EVP_sha1(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < len; ++i) {
      sha.push_back(hex[md[i] >> 4]);
      sha.push_back(hex[md[i] & 0xf]);
    }
  }
  std::string_view body;
  std::string sha;  // what EVALSHA names, as Redis computes it
};

std::optional<std::int64_t> to_int(const redis_value& v) {
  if (v.type == redis_value::kind::integer) return v.integer;
  if (v.type == redis_value::kind::nil) return 0;
  if (v.type != redis_value::kind::string) return std::nullopt;
  std::int64_t out = 0;
  const auto* end = v.text.data() + v.text.size();
  const auto [p, ec] = std::from_chars(v.text.data(), end, out);
  if (ec != std::errc{} || p != end) return std::nullopt;
  return out;
}

// An array reply of exactly n integers.
std::optional<std::vector<std::int64_t>> to_ints(const redis_value& v, std::size_t n) {
  if (v.type != redis_value::kind::array || v.elements.size() != n) return std::nullopt;
  std::vector<std::int64_t> out;
  for (const auto& e : v.elements) {
    const auto i = to_int(e);
    if (!i) return std::nullopt;
    out.push_back(*i);
  }
  return out;
}

std::string unix_seconds(std::chrono::sys_seconds t) {
  return std::to_string(t.time_since_epoch().count());
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (std::size_t pos; (pos = s.find(sep)) != std::string_view::npos; s.remove_prefix(pos + 1))
    out.push_back(s.substr(0, pos));
  out.push_back(s);
  return out;
}


// HGETALL of an hourly hash: hour -> calls.
store_result<hourly_counts> hourly_from(const store_result<redis_value>& reply) {
  if (!reply) return reply.error();
  const redis_value& v = *reply;
  if (v.type != redis_value::kind::array || v.elements.size() % 2 != 0)
    return make_error_code(store_errc::bad_reply);
  hourly_counts out{};
  for (std::size_t i = 0; i + 1 < v.elements.size(); i += 2) {
    const auto hour = to_int(v.elements[i]);
    const auto calls = to_int(v.elements[i + 1]);
    if (!hour || !calls || *hour < 0 || *hour > 23) continue;
    out[static_cast<std::size_t>(*hour)] = *calls;
  }
  return out;
}

std::string budget_key(const std::string& prefix, const pool_day_key& k) {
  return prefix + "budget:{" + k.pool + "}:" + k.day;
}

awaitable<store_result<redis_value>> command(std::shared_ptr<redis_connection> connection,
                                             std::vector<std::string> args) {
  auto [ec, v] = co_await connection->async_command(std::move(args), use_tuple);
  if (ec) co_return ec;
  if (v.is_error()) co_return make_error_code(store_errc::script_error);
  co_return std::move(v);
}

awaitable<store_result<redis_value>> eval(std::shared_ptr<redis_connection> connection,
                                          const lua_script& script,
                                          std::vector<std::string> keys,
                                          std::vector<std::string> args) {
  std::vector<std::string> cmd{"EVALSHA", script.sha, std::to_string(keys.size())};
  cmd.insert(cmd.end(), std::make_move_iterator(keys.begin()),
             std::make_move_iterator(keys.end()));
  cmd.insert(cmd.end(), std::make_move_iterator(args.begin()),
             std::make_move_iterator(args.end()));
  auto [ec, v] = co_await connection->async_command(cmd, use_tuple);
  // A restarted or flushed Redis forgot the script: load it and try once more.
  if (!ec && v.is_error() && v.text.starts_with("NOSCRIPT")) {
    std::vector<std::string> load{"SCRIPT", "LOAD", std::string(script.body)};
    auto loaded = co_await command(connection, std::move(load));
    if (!loaded) co_return loaded.error();
    std::tie(ec, v) = co_await connection->async_command(std::move(cmd), use_tuple);
  }
  if (ec) co_return ec;
  if (v.is_error()) co_return make_error_code(store_errc::script_error);
  co_return std::move(v);
}

awaitable<store_result<redis_value>> eval(std::shared_ptr<redis_connection> connection,
                                          const lua_script& script, std::string key,
                                          std::vector<std::string> args) {
  std::vector<std::string> keys{std::move(key)};
  co_return co_await eval(std::move(connection), script, std::move(keys), std::move(args));
}

// result<bool> would read an error_code as a bool: name the error explicitly.
store_result<bool> bool_error(error_code ec) {
  return store_result<bool>{boost::system::in_place_error, ec};
}

std::string pace_key(const std::string& prefix, const std::string& pool) {
  return prefix + "pace:{" + pool + "}";
}

std::string pace_client_key(const std::string& prefix, const pace_request& r) {
  return pace_key(prefix, r.pool) + ":client:" + r.client;
}

// Shortest text that reads back as the same double: one hash field per threshold.
std::string threshold_text(double threshold) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, threshold);
  return ec == std::errc{} ? std::string(buf, end) : std::to_string(threshold);
}

const lua_script& add_script() {
  static const lua_script script(lua::add);
  return script;
}

// Adds the calls counted locally during an outage; what fails goes back for the next time.
awaitable<void> push_unsynced(std::shared_ptr<redis_connection> connection,
                              std::shared_ptr<redis_share> share, std::string prefix) {
  auto deltas = share->counts.take_unsynced();
  std::vector<budget_share::delta> failed;
  for (auto& d : deltas) {
    std::vector<std::string> args{d.client, std::to_string(d.calls),
                                  unix_seconds(d.where.expire_at)};
    auto r = co_await eval(connection, add_script(), budget_key(prefix, d.where),
                           std::move(args));
    if (!r) failed.push_back(std::move(d));
  }
  if (!failed.empty()) share->counts.put_back(std::move(failed));
}

// Registers this instance and learns how many are live, every interval, until cancelled.
awaitable<void> heartbeat(std::shared_ptr<redis_connection> connection,
                          std::shared_ptr<redis_share> share, std::string prefix,
                          std::shared_ptr<steady_timer> timer) {
  static const lua_script script(lua::heartbeat);
  while (!connection->closed()) {
    std::vector<std::string> args{share->instance_id,
                                  std::to_string((share->heartbeat_interval * 3).count())};
    auto r = co_await eval(connection, script, prefix + "instances", std::move(args));
    if (r) {
      if (const auto n = to_int(*r)) share->counts.set_live_instances(*n);
    }
    timer->expires_after(share->heartbeat_interval);
    auto [ec] = co_await timer->async_wait(use_tuple);
    if (ec) co_return;
  }
}

class redis_store : public budget_store {
 public:
  redis_store(executor ex, redis_options options, std::shared_ptr<redis_share> share)
      : prefix_(options.key_prefix),
        connection_(redis_connection::create(ex, std::move(options))),
        share_(std::move(share)),
        heartbeat_timer_(std::make_shared<steady_timer>(ex)),
        charge_(lua::charge),
        refund_(lua::refund),
        reconcile_(lua::reconcile),
        spent_(lua::spent),
        pace_reserve_(lua::pace_reserve),
        pace_release_(lua::pace_release),
        claim_alert_(lua::claim_alert) {
    if (share_)
      net::co_spawn(ex, heartbeat(connection_, share_, prefix_, heartbeat_timer_), net::detached);
  }

  ~redis_store() override {
    heartbeat_timer_->cancel();
    connection_->close();
  }

  awaitable<store_result<charge_reply>> charge(charge_request r) override {
    const auto min_calls = std::max<std::int64_t>(r.min_calls, 1);
    const auto max_calls = std::max(r.max_calls, min_calls);
    // Named, not braced in the co_await: GCC 12 miscompiles initializer lists there.
    std::vector<std::string> args{r.client,
                                  std::to_string(r.limits.daily_limit),
                                  std::to_string(r.limits.reserve),
                                  std::to_string(r.limits.quota.value_or(-1)),
                                  std::to_string(min_calls),
                                  std::to_string(max_calls),
                                  unix_seconds(r.where.expire_at)};
    auto v = co_await eval(connection_, charge_, budget_key(prefix_, r.where), std::move(args));
    const auto n = v ? to_ints(*v, 5) : std::nullopt;
    if (!n || (*n)[0] < 0 || (*n)[0] > 3) {
      if (share_) co_return share_->counts.charge_locally(r);
      co_return v ? make_error_code(store_errc::bad_reply) : v.error();
    }
    charge_reply reply;
    reply.result = static_cast<outcome>((*n)[0]);
    reply.granted = (*n)[1];
    reply.counts = {(*n)[2], (*n)[3], (*n)[4] != 0};
    reply.remaining_for_client = remaining_for_client(reply.counts, r.limits);
    if (reply.result != outcome::charged) reply.retry_after = r.retry_after;
    if (share_) {
      share_->counts.observe(r.where, r.client, reply.counts);
      if (share_->counts.has_unsynced())
        net::co_spawn(connection_->get_executor(), push_unsynced(connection_, share_, prefix_),
                      net::detached);
    }
    co_return reply;
  }

  awaitable<store_result<budget_state>> refund(refund_request r) override {
    std::vector<std::string> args{r.client, std::to_string(r.calls),
                                  unix_seconds(r.where.expire_at)};
    auto v = co_await eval(connection_, refund_, budget_key(prefix_, r.where), std::move(args));
    if (!v && share_) co_return share_->counts.refund_locally(r);
    if (!v) co_return v.error();
    const auto n = to_ints(*v, 3);
    if (!n) co_return make_error_code(store_errc::bad_reply);
    co_return budget_state{(*n)[0], (*n)[1], (*n)[2] != 0};
  }

  awaitable<store_result<budget_state>> reconcile_remaining(pool_day_key where,
                                                            std::int64_t daily_limit,
                                                            std::int64_t alma_remaining) override {
    std::vector<std::string> args{std::to_string(daily_limit - alma_remaining),
                                  unix_seconds(where.expire_at)};
    auto v = co_await eval(connection_, reconcile_, budget_key(prefix_, where), std::move(args));
    if (!v && share_) {
      // Alma's count is as good a "last known" as ours.
      share_->counts.observe_pool(where, daily_limit - alma_remaining, false);
      co_return budget_state{daily_limit - alma_remaining, 0, false};
    }
    if (!v) co_return v.error();
    const auto n = to_ints(*v, 2);
    if (!n) co_return make_error_code(store_errc::bad_reply);
    if (share_) share_->counts.observe_pool(where, (*n)[0], (*n)[1] != 0);
    co_return budget_state{(*n)[0], 0, (*n)[1] != 0};
  }

  awaitable<store_result<void>> mark_pool_spent(pool_day_key where) override {
    std::vector<std::string> args{unix_seconds(where.expire_at)};
    auto v = co_await eval(connection_, spent_, budget_key(prefix_, where), std::move(args));
    if (share_) share_->counts.mark_spent_locally(where);
    if (!v && !share_) co_return v.error();
    co_return store_result<void>{};
  }

  awaitable<store_result<budget_state>> read_counts(pool_day_key where,
                                                    std::string client) override {
    std::vector<std::string> args{"HMGET", budget_key(prefix_, where), "used", "spent",
                                  "c:" + client};
    auto v = co_await command(connection_, std::move(args));
    if (!v) co_return v.error();
    const auto n = to_ints(*v, 3);
    if (!n) co_return make_error_code(store_errc::bad_reply);
    co_return budget_state{(*n)[0], (*n)[2], (*n)[1] != 0};
  }

  void record_usage(usage_record r) override {
    const auto key = usage_key(r.day);
    std::string field = r.client + '|' + r.environment + '|' + std::string(area_name(r.area_)) +
                        '|' + std::string(access_name(r.access_)) + '|' +
                        std::to_string(r.status_class);
    // Pipelined by hiredis: both go out with whatever else is queued, no reply awaited.
    connection_->send({"HINCRBY", key, std::move(field), std::to_string(r.calls)});
    expire_now_and_then(key, usage_retention);
  }

  // A retention EXPIRE once a minute per key is enough; one per call doubled the commands.
  void expire_now_and_then(const std::string& key, std::chrono::hours retention) {
    auto now = std::chrono::steady_clock::now();
    auto& last = expire_sent_[key];
    if (last != std::chrono::steady_clock::time_point{} && now - last < std::chrono::minutes(1))
      return;
    if (expire_sent_.size() > 1024) expire_sent_.clear();  // days gone by
    last = now;
    connection_->send({"EXPIRE", key, std::to_string(std::chrono::seconds{retention}.count())});
  }

  awaitable<store_result<std::vector<usage_record>>> read_usage(std::string day) override {
    std::vector<std::string> args{"HGETALL", usage_key(day)};
    auto v = co_await command(connection_, std::move(args));
    if (!v) co_return v.error();
    if (v->type != redis_value::kind::array || v->elements.size() % 2 != 0)
      co_return make_error_code(store_errc::bad_reply);
    std::vector<usage_record> out;
    for (std::size_t i = 0; i + 1 < v->elements.size(); i += 2) {
      const auto parts = split(v->elements[i].text, '|');
      const auto calls = to_int(v->elements[i + 1]);
      if (parts.size() != 5 || !calls) continue;
      const auto a = area_from_name(parts[2]);
      const auto x = access_from_name(parts[3]);
      int status_class = 0;
      std::from_chars(parts[4].data(), parts[4].data() + parts[4].size(), status_class);
      if (!a || !x) continue;
      out.push_back({day, std::string(parts[0]), std::string(parts[1]), *a, *x, status_class,
                     *calls});
    }
    co_return out;
  }

  void record_hourly(std::string pool, std::string day, int hour, std::int64_t calls) override {
    if (hour < 0 || hour > 23) return;
    const auto key = hourly_key(pool, day);
    // Pipelined like record_usage: no reply awaited.
    connection_->send({"HINCRBY", key, std::to_string(hour), std::to_string(calls)});
    expire_now_and_then(key, hourly_retention);
  }

  awaitable<store_result<hourly_counts>> read_hourly(std::string pool, std::string day) override {
    std::vector<std::string> args{"HGETALL", hourly_key(pool, day)};
    auto v = co_await command(connection_, std::move(args));
    co_return hourly_from(v);
  }

  awaitable<store_result<pace_reply>> reserve_slot(pace_request r) override {
    const auto now_us = to_pace_us(r.now);
    const auto client_spacing = slot_spacing_us(r.client_rate);
    std::vector<std::string> keys{pace_key(prefix_, r.pool), pace_client_key(prefix_, r)};
    std::vector<std::string> args{
        std::to_string(now_us),
        std::to_string(std::max<std::int64_t>(slot_spacing_us(r.pool_rate), 1)),
        std::to_string(client_spacing),
        std::to_string(static_cast<int>(r.tier_)),
        std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(r.max_wait).count()),
        std::to_string(open_slots),
        std::to_string(lane_period),
        std::to_string(std::chrono::microseconds{pace_history}.count())};
    auto v = co_await eval(connection_, pace_reserve_, std::move(keys), std::move(args));
    const auto n = v ? to_ints(*v, 3) : std::nullopt;
    if (!n) {
      if (share_) {
        auto reply = share_->pacing.reserve(r, share_->counts.live_instances());
        reply.paced_locally = true;
        co_return reply;
      }
      co_return v ? make_error_code(store_errc::bad_reply) : v.error();
    }
    slot_plan plan;
    plan.granted = (*n)[0] == 1;
    plan.slot_us = (*n)[1];
    plan.retry_after_us = (*n)[2];
    co_return reply_for(plan, now_us);
  }

  awaitable<store_result<bool>> release_slot(pace_request r,
                                             std::chrono::system_clock::time_point slot) override {
    std::vector<std::string> keys{pace_key(prefix_, r.pool), pace_client_key(prefix_, r)};
    std::vector<std::string> args{std::to_string(to_pace_us(slot)),
                                  std::to_string(to_pace_us(r.now)),
                                  std::to_string(slot_spacing_us(r.client_rate))};
    auto v = co_await eval(connection_, pace_release_, std::move(keys), std::move(args));
    if (!v && share_)
      co_return share_->pacing.release(r, slot, share_->counts.live_instances());
    if (!v) co_return bool_error(v.error());
    const auto n = to_int(*v);
    if (!n) co_return bool_error(make_error_code(store_errc::bad_reply));
    co_return *n == 1;
  }

  awaitable<store_result<void>> set_quota_override(std::string client,
                                                   std::int64_t quota) override {
    std::vector<std::string> args{"HSET", overrides_key(), std::move(client),
                                  std::to_string(quota)};
    auto v = co_await command(connection_, std::move(args));
    if (!v) co_return v.error();
    co_return store_result<void>{};
  }

  awaitable<store_result<void>> clear_quota_override(std::string client) override {
    std::vector<std::string> args{"HDEL", overrides_key(), std::move(client)};
    auto v = co_await command(connection_, std::move(args));
    if (!v) co_return v.error();
    co_return store_result<void>{};
  }

  awaitable<store_result<std::map<std::string, std::int64_t>>> read_quota_overrides() override {
    std::vector<std::string> args{"HGETALL", overrides_key()};
    auto v = co_await command(connection_, std::move(args));
    if (!v) co_return v.error();
    if (v->type != redis_value::kind::array || v->elements.size() % 2 != 0)
      co_return make_error_code(store_errc::bad_reply);
    std::map<std::string, std::int64_t> out;
    for (std::size_t i = 0; i + 1 < v->elements.size(); i += 2) {
      const auto quota = to_int(v->elements[i + 1]);
      if (!quota) co_return make_error_code(store_errc::bad_reply);
      out[v->elements[i].text] = *quota;
    }
    co_return out;
  }

  awaitable<store_result<bool>> claim_alert(pool_day_key where, double threshold) override {
    std::vector<std::string> args{threshold_text(threshold), unix_seconds(where.expire_at)};
    auto v = co_await eval(connection_, claim_alert_,
                           prefix_ + "alerts:{" + where.pool + "}:" + where.day, std::move(args));
    if (!v) co_return bool_error(v.error());
    const auto n = to_int(*v);
    if (!n) co_return bool_error(make_error_code(store_errc::bad_reply));
    co_return *n == 1;
  }

 private:
  std::string overrides_key() const { return prefix_ + "quota_overrides"; }
  std::string usage_key(const std::string& day) const { return prefix_ + "usage:" + day; }
  std::string hourly_key(const std::string& pool, const std::string& day) const {
    return prefix_ + "hours:{" + pool + "}:" + day;
  }

  std::string prefix_;
  std::shared_ptr<redis_connection> connection_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> expire_sent_;
  std::shared_ptr<redis_share> share_;
  std::shared_ptr<steady_timer> heartbeat_timer_;
  lua_script charge_, refund_, reconcile_, spent_, pace_reserve_, pace_release_, claim_alert_;
};

}  // namespace

std::shared_ptr<redis_share> make_redis_share() {
  auto share = std::make_shared<redis_share>();
  unsigned char bytes[12];
  RAND_bytes(bytes, sizeof bytes);
  static constexpr char hex[] = "0123456789abcdef";
  for (const auto b : bytes) {
    share->instance_id.push_back(hex[b >> 4]);
    share->instance_id.push_back(hex[b & 0xf]);
  }
  return share;
}

std::unique_ptr<budget_store> make_redis_store(executor ex, redis_options options,
                                               std::shared_ptr<redis_share> share) {
  return std::make_unique<redis_store>(ex, std::move(options), std::move(share));
}

store_factory make_redis_store_factory(redis_options options, store_failure_mode failure) {
  auto share = failure == store_failure_mode::share ? make_redis_share() : nullptr;
  return [options, share](executor ex) { return make_redis_store(ex, options, share); };
}

}  // namespace almagate
