#pragma once
// Header rules for a proxy (RFC 9110 section 7.6.1): hop-by-hop fields stop here.

#include "proxy/io.hpp"

namespace almagate {

// The hop-by-hop fields a proxy drops whatever the Connection field names.
inline constexpr std::string_view hop_by_hop_fields[] = {
    "Connection",          "Keep-Alive",         "Proxy-Connection", "Proxy-Authorization",
    "Proxy-Authenticate",  "TE",                 "Trailer",          "Upgrade"};

// Fields a script may use to ask for another method than the one it sent.
inline constexpr std::string_view method_override_fields[] = {"X-HTTP-Method-Override",
                                                              "X-HTTP-Method", "X-Method-Override"};

// Whether `name` (any case) is one of hop_by_hop_fields / method_override_fields.
bool is_hop_by_hop(std::string_view name);
bool is_method_override(std::string_view name);

// Removes Connection and the fields it names, Keep-Alive, Proxy-*, TE, Trailer, Upgrade.
// Transfer-Encoding and Content-Length stay: the serializer frames the body from them.
void strip_hop_by_hop(http::fields& fields);

// X-HTTP-Method-Override, X-HTTP-Method, X-Method-Override.
bool has_method_override(const http::fields& fields);

// Removes every field that could carry a client token or an override.
void strip_client_credentials(http::fields& fields);

}  // namespace almagate
