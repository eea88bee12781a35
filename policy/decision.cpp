#include "policy/decision.hpp"

#include "policy/token.hpp"

namespace almagate {

namespace {
bool supported_method(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "POST" || m == "PUT" || m == "DELETE" ||
         m == "PATCH";
}

// decide's checks, in their fixed order. Fills `d` as it learns and builds the plan in
// d.forward, so the parsed target is never moved; the refusal when the call may not go on.
std::optional<refusal> decide_into(const request_view& request, const config& cfg,
                                   decision& d) {
  forward_plan& plan = d.forward.emplace();
  parsed_target& target = plan.target;
  if (auto error = parse_target_into(request.target, target)) return error;
  d.format_param = target.format;

  if (!supported_method(request.method))
    return refusal{400, "INVALID_REQUEST",
                   "The method " + std::string(request.method) + " is not supported."};
  if (request.has_method_override)
    return refusal{400, "INVALID_REQUEST",
                   "Method-override headers (X-HTTP-Method-Override and kin) are not accepted."};

  token_collector tokens;
  for (auto value : target.apikeys) tokens.add(value);
  for (auto value : request.authorization)
    if (auto token = token_from_authorization(value)) tokens.add(*token);
  if (tokens.status() == token_status::conflicting)
    return refusal{400, "INVALID_REQUEST", "The request carries two different API keys."};
  if (tokens.status() == token_status::none)
    return refusal{401, "UNAUTHORIZED",
                   "API-key not defined: send it as ?apikey=, 'Authorization: apikey ...' or "
                   "'Authorization: Bearer ...'."};
  const client* who = cfg.find_client_by_token_sha256(token_sha256_hex(tokens.token()));
  if (!who) return refusal{401, "UNAUTHORIZED", "API-key not defined or not configured."};
  d.who = who;

  const environment* env = target.environment.empty()
                               ? cfg.default_environment
                               : cfg.find_environment(target.environment);
  if (!env)
    return refusal{404, "ROUTING_ERROR",
                   "No environment named '" + std::string(target.environment) + "'."};
  d.env = env;
  auto area_ = area_from_segment(target.area_segment);
  d.area_ = area_;
  if (!area_)
    return refusal{404, "ROUTING_ERROR",
                   "No API area is routed at /almaws/v1/" + std::string(target.area_segment) +
                       "."};
  access needed = access_needed(request.method, target);
  d.needed = needed;
  const grant* g = who->grant_for(env);
  if (!g || !g->areas.allows(*area_, needed))
    return refusal{403, "FORBIDDEN",
                   "Client '" + who->id + "' is not allowed " + std::string(access_name(needed)) +
                       " access to the " + std::string(area_name(*area_)) + " area in the " +
                       env->name + " environment."};
  plan.who = who;
  plan.env = env;
  plan.key = g->key;
  plan.area_ = *area_;
  plan.needed = needed;
  return std::nullopt;
}

}  // namespace

decision decide(const request_view& request, const config& cfg) {
  decision d;
  if (auto error = decide_into(request, cfg, d)) {
    d.forward.reset();
    d.refused = std::move(*error);
  }
  return d;
}

}  // namespace almagate
