#pragma once
// The text `almagate check` prints for a config that loaded: warnings, who may do what,
// and why anyone may change Alma's configuration.

#include <string>

#include "policy/config.hpp"

namespace almagate {

std::string check_report(const config& cfg);

}  // namespace almagate
