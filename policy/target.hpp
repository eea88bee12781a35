#pragma once
// The request target: checked so that what is classified is exactly what is forwarded,
// then split into environment, area and the target the upstream receives.

#include <optional>
#include <string>
#include <string_view>

#include <boost/container/small_vector.hpp>

#include "policy/alma_error.hpp"
#include "policy/areas.hpp"

namespace almagate {

struct parsed_target {
  std::string_view environment;  // "" when the script used /almaws/v1/... (the default)
  std::string_view area_segment; // "bibs", "items", "acq", ... (not yet known to be valid)
  // Held inline up to their usual counts, so parsing a call allocates only the two strings.
  boost::container::small_vector<std::string_view, 8> segments_after_v1;  // area segment first
  std::string upstream_target;   // "/almaws/v1/...[?query]" without apikey parameters
  boost::container::small_vector<std::string_view, 2> apikeys;  // apikey values, in order
  std::string_view op;           // value of `op=`, if any
  std::string_view format;       // value of `format=`, if any
  // upstream_target with its secrets (password=...) redacted, when it holds one; else empty.
  std::string redacted_target;
  // What the access log shows: upstream_target, redacted (a view into this target).
  std::string_view log_target() const {
    return redacted_target.empty() ? std::string_view(upstream_target) : redacted_target;
  }
};

// Parses an origin-form target. On a target that could be routed differently upstream than it
// is classified here, returns a 400 INVALID_REQUEST refusal; on one that is not an Alma API
// path, a 404 ROUTING_ERROR. The views point into `target`.
struct target_result {
  std::optional<parsed_target> target;
  refusal error;
};
target_result parse_target(std::string_view target);

// parse_target into `out` (a fresh parsed_target), for a caller that keeps it in place: the
// refusal when the target is refused, `out` then partly filled.
std::optional<refusal> parse_target_into(std::string_view target, parsed_target& out);

// The access a call needs: reads are GET and HEAD, POST users/{id}?op=auth and POST to an
// area's test path (users/operation/test for users). Everything else writes.
access access_needed(std::string_view method, const parsed_target& target);

// The target with the values of secret query parameters (password, apikey) replaced.
std::string redact_target(std::string_view target);

}  // namespace almagate
