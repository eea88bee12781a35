#include "tests/sim/control.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace almagate::sim {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

sim_reply json_reply(const json::value& value) {
  sim_reply reply;
  reply.content_type = "application/json";
  reply.body = json::serialize(value);
  return reply;
}

sim_reply no_content() {
  sim_reply reply;
  reply.status = http::status::no_content;
  reply.content_type = "application/json";
  return reply;
}

sim_reply problem(http::status status, std::string_view message) {
  sim_reply reply;
  reply.status = status;
  reply.content_type = "application/json";
  reply.body = json::serialize(json::object{{"error", message}});
  return reply;
}

json::object stats_json(const sim_stats& s) {
  return {{"received", s.received},
          {"accepted", s.accepted},
          {"refused_per_second", s.refused_per_second},
          {"refused_daily", s.refused_daily},
          {"unauthorized", s.unauthorized},
          {"max_accepted_in_any_second", s.max_accepted_in_any_second},
          {"first_ms", s.first_ms},
          {"last_ms", s.last_ms}};
}

// Reads one optional non-negative integer field; false when present but not one.
bool read_field(const json::object& o, std::string_view name, std::optional<std::int64_t>& out) {
  auto it = o.find(name);
  if (it == o.end()) return true;
  json::error_code ec;
  auto value = it->value().to_number<std::int64_t>(ec);
  if (ec || value < 0) return false;
  out = value;
  return true;
}

sim_reply set_thresholds(std::string_view body, sim_state& state) {
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object())
    return problem(http::status::bad_request, "body must be a JSON object");
  const auto& o = parsed.as_object();
  std::optional<std::int64_t> daily, per_second, latency;
  if (!read_field(o, "daily_limit", daily) || !read_field(o, "per_second", per_second) ||
      !read_field(o, "latency_ms", latency))
    return problem(http::status::bad_request, "fields must be whole numbers, 0 or more");
  state.thresholds.update(daily, per_second, latency);
  return no_content();
}

}  // namespace

sim_reply handle_control(http::verb method, std::string_view target, std::string_view body,
                         sim_state& state) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/_sim/requests") {
    if (method == http::verb::get) return json_reply(state.requests.to_json());
    if (method == http::verb::delete_) {
      state.requests.clear();
      return no_content();
    }
  } else if (path == "/_sim/stats") {
    if (method == http::verb::get) return json_reply(stats_json(state.thresholds.stats()));
  } else if (path == "/_sim/reset") {
    if (method == http::verb::post) {
      state.requests.clear();
      state.thresholds.reset();
      return no_content();
    }
  } else if (path == "/_sim/thresholds") {
    if (method == http::verb::put) return set_thresholds(body, state);
  } else {
    return problem(http::status::not_found, "no such control endpoint");
  }
  return problem(http::status::method_not_allowed, "method not allowed here");
}

}  // namespace almagate::sim
