#pragma once
// For `almagate check`: the live quota overrides held in the store, next to the config.

#include <string>

#include "policy/config.hpp"

namespace almagate {

// A few lines listing each live override (client, override, configured quota), or why they
// cannot be read (memory store; Redis unreachable within a few seconds). Never throws.
std::string overrides_report(const config& cfg);

}  // namespace almagate
