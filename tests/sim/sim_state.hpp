#pragma once
// Everything the simulator's threads share: the keys (fixed at start), the thresholds and
// counters, and the request recording.

#include <utility>

#include "tests/sim/recorder.hpp"
#include "tests/sim/sim_config.hpp"
#include "tests/sim/thresholds.hpp"

namespace almagate::sim {

struct sim_state {
  sim_state(key_table k, threshold_settings limits, bool record, bool verbose_log)
      : keys(std::move(k)), thresholds(limits), requests(record), verbose(verbose_log) {}

  const key_table keys;
  sim::thresholds thresholds;
  recorder requests;
  const bool verbose;
};

}  // namespace almagate::sim
