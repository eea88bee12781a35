#pragma once
// Keeps a script behind the gateway when Alma redirects it (GET /items?item_barcode=...).

#include <optional>
#include <string>
#include <string_view>

#include "policy/config.hpp"

namespace almagate {

// If `location` points at the upstream (absolute on its host, or an absolute path), returns it
// rewritten onto `public_base` ("http://gateway:8080", no trailing '/'), with the environment
// prefix the script used ("" for the default) and without apikey parameters. Otherwise nullopt:
// the Location is left as Alma sent it.
std::optional<std::string> rewrite_location(std::string_view location,
                                            const upstream_url& upstream,
                                            std::string_view public_base,
                                            std::string_view environment_prefix);

// True when `host` is a plausible Host header value (name or address, optional port).
bool is_plausible_host(std::string_view host);

}  // namespace almagate
