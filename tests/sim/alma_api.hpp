#pragma once
// The simulated Alma API: routing, key and grant checks, thresholds, and the answer for a
// call under /almaws/v1/. No sockets here: the session hands in the request head.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/verb.hpp>

#include "tests/sim/responses.hpp"
#include "tests/sim/sim_state.hpp"

namespace almagate::sim {

struct alma_request {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string_view target;
  std::string_view authorization;  // the Authorization header
  std::string_view accept;
  std::string_view host;
  bool tls = false;
  std::uint16_t local_port = 0;
  double arrival_ms = 0;
};

// Decided on the request head; POST/PUT answers are finished once the body is counted.
struct alma_decision {
  sim_reply reply;
  std::string key;  // the key the call carried (for the recording)
  bool echo_body = false;
  std::string record_root;
  record_fields fields;
  body_format format = body_format::xml;

  // Fills in the body of an echoing answer.
  void finish(std::uint64_t body_bytes);
};

// Counts the call in state.thresholds (so call it once per request).
alma_decision decide_alma(const alma_request& request, sim_state& state);

}  // namespace almagate::sim
