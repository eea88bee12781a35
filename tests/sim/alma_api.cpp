#include "tests/sim/alma_api.hpp"

#include <array>
#include <charconv>

#include <boost/url/parse.hpp>

namespace almagate::sim {

namespace http = boost::beast::http;

namespace {

constexpr std::string_view api_prefix = "/almaws/v1/";
constexpr std::string_view item_path = "/almaws/v1/bibs/991234/holdings/221234/items/231234";

// Path segments after the area segment, at most 8 (the rest are ignored).
struct path_rest {
  std::array<std::string_view, 8> segments{};
  std::size_t count = 0;
  std::string_view operator[](std::size_t i) const { return i < count ? segments[i] : ""; }
};

path_rest split_rest(std::string_view rest) {
  path_rest out;
  while (!rest.empty() && out.count < out.segments.size()) {
    std::size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    if (!segment.empty()) out.segments[out.count++] = segment;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return out;
}

// The query parameters the simulator cares about, decoded.
struct query {
  std::string apikey, format, op, item_barcode;
  std::optional<std::uint64_t> size, sim_size;
};

std::optional<std::uint64_t> to_count(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

query read_query(boost::urls::url_view url) {
  query q;
  for (auto param : url.encoded_params()) {
    std::string_view name = param.key;
    if (name == "apikey") q.apikey = param.value.decode();
    else if (name == "format") q.format = param.value.decode();
    else if (name == "op") q.op = param.value.decode();
    else if (name == "item_barcode") q.item_barcode = param.value.decode();
    else if (name == "size") q.size = to_count(param.value);
    else if (name == "sim_size") q.sim_size = to_count(param.value);
  }
  return q;
}

std::string_view key_from_header(std::string_view authorization) {
  constexpr std::string_view scheme = "apikey ";
  if (authorization.size() <= scheme.size()) return {};
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if ((authorization[i] | 0x20) != scheme[i]) return {};
  std::string_view key = authorization.substr(scheme.size());
  while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
  while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
  return key;
}

// Reads: GET/HEAD, POST users/{id}?op=auth, POST {area}/test, POST users/operation/test.
access needed_access(http::verb method, std::string_view segment, const path_rest& rest,
                     std::string_view op) {
  if (method == http::verb::get || method == http::verb::head) return access::read;
  if (method != http::verb::post) return access::read_write;
  if (segment == "users" && rest.count == 1 && op == "auth") return access::read;
  if (rest.count == 1 && rest[0] == "test") return access::read;
  if (segment == "users" && rest.count == 2 && rest[0] == "operation" && rest[1] == "test")
    return access::read;
  return access::read_write;
}

std::string_view root_for(area a) {
  switch (a) {
    case area::acquisitions: return "po_line";
    case area::analytics: return "report";
    case area::bibs: return "bib";
    case area::configuration: return "library";
    case area::courses: return "course";
    case area::electronic: return "electronic_collection";
    case area::partners: return "partner";
    case area::task_lists: return "printout";
    case area::users: return "user";
  }
  return "record";
}

// A small plausible record for the path: a bib, holding, item, user, or a generic one.
void fill_record(alma_decision& d, area a, std::string_view segment, const path_rest& rest) {
  auto or_default = [](std::string_view v, std::string_view fallback) {
    return std::string(v.empty() ? fallback : v);
  };
  if (a == area::bibs && (segment == "items" || rest[3] == "items" || rest[1] == "holdings")) {
    bool item = segment == "items" || rest[3] == "items";
    d.record_root = item ? "item" : "holding";
    d.fields = {{"mms_id", or_default(rest[0], "991234")},
                {"holding_id", or_default(rest[2], "221234")}};
    if (item) {
      d.fields.emplace_back("pid", or_default(rest[4], "231234"));
      d.fields.emplace_back("barcode", "SIM0001");
    }
  } else if (a == area::bibs) {
    d.record_root = "bib";
    d.fields = {{"mms_id", or_default(rest[0], "991234")}, {"title", "Simulated record"}};
  } else if (a == area::users) {
    d.record_root = "user";
    d.fields = {{"primary_id", or_default(rest[0], "sim-user")},
                {"first_name", "Sim"},
                {"last_name", "User"}};
  } else {
    d.record_root = root_for(a);
    d.fields = {{"code", or_default(rest.count ? rest[rest.count - 1] : "", "SIM")},
                {"name", "Simulated " + std::string(name_of(a))}};
  }
}

alma_decision refuse(http::status status, std::string_view code, std::string_view message,
                     body_format f, std::int64_t remaining) {
  alma_decision d;
  d.format = f;
  d.reply = error_reply(status, code, message, f);
  d.reply.remaining = remaining;
  return d;
}

}  // namespace

void alma_decision::finish(std::uint64_t body_bytes) {
  if (echo_body) reply.body = render_record(record_root, fields, format, body_bytes);
}

alma_decision decide_alma(const alma_request& request, sim_state& state) {
  auto& limits = state.thresholds;
  auto parsed = boost::urls::parse_origin_form(request.target);
  if (!parsed) {
    auto f = choose_format("", request.accept);
    return refuse(http::status::bad_request, "INVALID_REQUEST", "Invalid request target.", f,
                  limits.admit(call_kind::unrouted, request.arrival_ms).remaining);
  }
  const query q = read_query(*parsed);
  const body_format f = choose_format(q.format, request.accept);

  std::string_view path = parsed->encoded_path();
  std::string_view segment, rest_text;
  if (path.starts_with(api_prefix)) {
    std::string_view after = path.substr(api_prefix.size());
    std::size_t slash = after.find('/');
    segment = after.substr(0, slash);
    rest_text = slash == std::string_view::npos ? "" : after.substr(slash + 1);
  }
  const auto a = area_for_segment(segment);
  if (!a)
    return refuse(http::status::not_found, "ROUTING_ERROR", "No matching route for the request.",
                  f, limits.admit(call_kind::unrouted, request.arrival_ms).remaining);
  const path_rest rest = split_rest(rest_text);

  std::string_view key = key_from_header(request.authorization);
  if (key.empty()) key = q.apikey;
  const key_grant* grant = key.empty() ? nullptr : state.keys.find(key);
  if (!grant || !grant->areas.allows(*a, needed_access(request.method, segment, rest, q.op))) {
    auto d = refuse(http::status::bad_request, "UNAUTHORIZED",
                    "API-key not defined or not configured to allow this API.", f,
                    limits.admit(call_kind::unauthorized, request.arrival_ms).remaining);
    d.key = key;
    return d;
  }

  const admission admitted = limits.admit(call_kind::authorized, request.arrival_ms);
  alma_decision d;
  if (admitted.outcome == verdict::refused_daily)
    d = refuse(http::status::too_many_requests, "DAILY_THRESHOLD",
               "Daily API Request Threshold has been reached.", f, admitted.remaining);
  else if (admitted.outcome == verdict::refused_per_second)
    d = refuse(http::status::too_many_requests, "PER_SECOND_THRESHOLD",
               "HTTP requests are more than allowed per second.", f, admitted.remaining);
  d.key = key;
  if (admitted.outcome != verdict::accepted) return d;

  d.format = f;
  sim_reply& reply = d.reply;
  reply.content_type = content_type(f);
  reply.remaining = admitted.remaining;
  switch (request.method) {
    case http::verb::get:
    case http::verb::head:
      if (segment == "items" && rest.count == 0 && !q.item_barcode.empty()) {
        // Alma answers on its own host, absolute: a proxy must rewrite it.
        reply.status = http::status::found;
        reply.location = std::string(request.tls ? "https://" : "http://") +
                         (request.host.empty()
                              ? "127.0.0.1:" + std::to_string(request.local_port)
                              : std::string(request.host)) +
                         std::string(item_path);
      } else if (q.sim_size || (segment == "analytics" && rest[0] == "reports" && q.size)) {
        reply.content_type = "application/octet-stream";
        reply.generated_bytes = q.sim_size ? *q.sim_size : *q.size;
      } else {
        fill_record(d, *a, segment, rest);
        reply.body = render_record(d.record_root, d.fields, f);
      }
      break;
    case http::verb::post:
      if (segment == "users" && rest.count == 1 && q.op == "auth") {
        reply.status = http::status::no_content;
        break;
      }
      [[fallthrough]];
    case http::verb::put:
    case http::verb::patch:
      fill_record(d, *a, segment, rest);
      d.echo_body = true;
      break;
    case http::verb::delete_:
      reply.status = http::status::no_content;
      break;
    default:
      d.reply = error_reply(http::status::method_not_allowed, "GENERAL_ERROR",
                            "Method not supported.", f);
      d.reply.remaining = admitted.remaining;
  }
  return d;
}

}  // namespace almagate::sim
