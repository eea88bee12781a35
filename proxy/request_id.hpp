#pragma once
// Request ids: 16 hex digits, unique enough to find one call in the logs; also Alma's trackingId.

#include <string>

namespace almagate {

std::string new_request_id();

}  // namespace almagate
