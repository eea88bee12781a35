#include "policy/decision.hpp"

#include "policy/token.hpp"

namespace almagate {

namespace {
bool supported_method(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "POST" || m == "PUT" || m == "DELETE" ||
         m == "PATCH";
}
}  // namespace

decision decide(const request_view& request, const config& cfg) {
  decision d;
  auto parsed = parse_target(request.target);
  if (!parsed.target) {
    d.refused = std::move(parsed.error);
    return d;
  }
  auto& target = *parsed.target;
  d.format_param = target.format;

  if (!supported_method(request.method)) {
    d.refused = {400, "INVALID_REQUEST",
                 "The method " + std::string(request.method) + " is not supported."};
    return d;
  }
  if (request.has_method_override) {
    d.refused = {400, "INVALID_REQUEST",
                 "Method-override headers (X-HTTP-Method-Override and kin) are not accepted."};
    return d;
  }

  token_collector tokens;
  for (auto value : target.apikeys) tokens.add(value);
  for (auto value : request.authorization)
    if (auto token = token_from_authorization(value)) tokens.add(*token);
  if (tokens.status() == token_status::conflicting) {
    d.refused = {400, "INVALID_REQUEST", "The request carries two different API keys."};
    return d;
  }
  if (tokens.status() == token_status::none) {
    d.refused = {401, "UNAUTHORIZED",
                 "API-key not defined: send it as ?apikey=, 'Authorization: apikey ...' or "
                 "'Authorization: Bearer ...'."};
    return d;
  }
  const client* who = cfg.find_client_by_token_sha256(token_sha256_hex(tokens.token()));
  if (!who) {
    d.refused = {401, "UNAUTHORIZED", "API-key not defined or not configured."};
    return d;
  }
  d.who = who;

  const environment* env = target.environment.empty()
                               ? cfg.default_environment
                               : cfg.find_environment(target.environment);
  if (!env) {
    d.refused = {404, "ROUTING_ERROR",
                 "No environment named '" + std::string(target.environment) + "'."};
    return d;
  }
  d.env = env;
  auto area_ = area_from_segment(target.area_segment);
  d.area_ = area_;
  if (!area_) {
    d.refused = {404, "ROUTING_ERROR",
                 "No API area is routed at /almaws/v1/" + std::string(target.area_segment) +
                     "."};
    return d;
  }
  access needed = access_needed(request.method, target);
  d.needed = needed;
  const grant* g = who->grant_for(env);
  if (!g || !g->areas.allows(*area_, needed)) {
    d.refused = {403, "FORBIDDEN",
                 "Client '" + who->id + "' is not allowed " + std::string(access_name(needed)) +
                     " access to the " + std::string(area_name(*area_)) + " area in the " +
                     env->name + " environment."};
    return d;
  }
  d.forward = forward_plan{who, env, g->key, *area_, needed, std::move(target)};
  d.format_param = d.forward->target.format;
  return d;
}

}  // namespace almagate
