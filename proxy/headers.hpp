#pragma once
// Header rules for a proxy (RFC 9110 section 7.6.1): hop-by-hop fields stop here.

#include "proxy/io.hpp"

namespace almagate {

// Removes Connection and the fields it names, Keep-Alive, Proxy-*, TE, Trailer, Upgrade.
// Transfer-Encoding and Content-Length stay: the serializer frames the body from them.
void strip_hop_by_hop(http::fields& fields);

// X-HTTP-Method-Override, X-HTTP-Method, X-Method-Override.
bool has_method_override(const http::fields& fields);

// Removes every field that could carry a client token or an override.
void strip_client_credentials(http::fields& fields);

}  // namespace almagate
