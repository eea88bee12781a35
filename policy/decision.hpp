#pragma once
// The request-path decision: a pure function of the call and the config snapshot.
// The proxy only carries it out.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/alma_error.hpp"
#include "policy/config.hpp"
#include "policy/target.hpp"

namespace almagate {

// What the decision needs to know of a call.
struct request_view {
  std::string_view method;  // "GET", "POST", ...
  std::string_view target;  // the raw request target
  std::vector<std::string_view> authorization;  // every Authorization header value
  bool has_method_override = false;  // X-HTTP-Method-Override and kin were sent
};

struct forward_plan {
  const client* who = nullptr;
  const environment* env = nullptr;
  const api_key* key = nullptr;
  area area_ = area::bibs;
  access needed = access::read;
  parsed_target target;
};

struct decision {
  std::optional<forward_plan> forward;  // set when the call may go on
  refusal refused;                      // otherwise, why not
  // What was known when the decision was made, for the log.
  const client* who = nullptr;
  const environment* env = nullptr;
  std::optional<area> area_;
  access needed = access::none;
  std::string_view format_param;        // for the error body's format
};

decision decide(const request_view& request, const config& cfg);

}  // namespace almagate
