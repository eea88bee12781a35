#pragma once
// The simulator's YAML config: institution thresholds and the keys it knows.

#include <string>

#include "tests/sim/sim_keys.hpp"
#include "tests/sim/thresholds.hpp"

namespace almagate::sim {

struct sim_config {
  threshold_settings limits;
  key_table keys;
};

// Throws std::runtime_error naming the file, the line and the field. Unknown top-level
// keys are ignored (the file may carry other tools' settings).
sim_config load_sim_config(const std::string& path);

}  // namespace almagate::sim
