#pragma once
// The admin endpoint's bearer token check.

#include <string_view>

namespace almagate {

// True when `authorization` is "Bearer <token>" (scheme in any case) and SHA-256(token)
// equals `expected_sha256_hex` (lower-case hex). Compares in constant time; an empty
// expected hash matches nothing.
bool admin_token_matches(std::string_view authorization, std::string_view expected_sha256_hex);

}  // namespace almagate
