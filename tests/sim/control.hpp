#pragma once
// The simulator's control endpoints under /_sim/: no key, never counted, never recorded.
//   GET /_sim/requests, DELETE /_sim/requests, GET /_sim/stats, POST /_sim/reset,
//   PUT /_sim/thresholds {"daily_limit":N,"per_second":N,"latency_ms":N}

#include <string_view>

#include <boost/beast/http/verb.hpp>

#include "tests/sim/responses.hpp"
#include "tests/sim/sim_state.hpp"

namespace almagate::sim {

inline bool is_control_target(std::string_view target) { return target.starts_with("/_sim/"); }

sim_reply handle_control(boost::beast::http::verb method, std::string_view target,
                         std::string_view body, sim_state& state);

}  // namespace almagate::sim
