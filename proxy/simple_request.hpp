#pragma once
// The usual script call, read without Beast's parser: a bodyless HTTP/1.x request with
// well-formed fields. Its header stays in the session's buffer and is forwarded from there,
// with the target, the credentials and Host replaced, in one pass (simple_response.hpp is the
// same for the answer). Anything this does not recognise goes to Beast's parser from the same
// bytes; the test checks the two agree on every call recognised.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/simple_fields.hpp"

namespace almagate {

struct simple_request {
  static constexpr std::size_t max_fields = 32;  // more: Beast's parser takes the call
  static constexpr std::size_t max_authorizations = 4;

  std::string_view method;
  std::string_view target;
  unsigned version = 11;               // 10 or 11
  bool keep_alive = true;              // as Beast's keep_alive() says for the version
  bool has_method_override = false;    // X-HTTP-Method-Override and kin
  std::string_view accept;             // the first Accept field's value
  std::string_view host;               // the first Host field's value
  std::array<std::string_view, max_authorizations> authorization{};
  std::size_t authorization_count = 0;
  std::size_t header_bytes = 0;        // through the blank line
  simple_fields::field_room<max_fields> fields;  // the first field_count
  std::size_t field_count = 0;
};

// `header` (a whole header, as header_end found it) if it is a simple call: a method of
// capital letters, a target of visible ASCII, HTTP/1.0 or HTTP/1.1, at most max_fields fields
// without folding or control characters, no body (no Content-Length but 0, no
// Transfer-Encoding), no Expect or Proxy-Connection, at most one Connection field naming only
// close and keep-alive, at most max_authorizations Authorization fields, and no more than
// `max_header_bytes`. True: `out` holds it; false: Beast's parser takes it. (Filled in place:
// the field list is over a kilobyte, not worth copying.)
bool recognise_simple_request(std::string_view header, std::size_t max_header_bytes,
                              simple_request& out);

// The header sent upstream for `r`, appended to `out`: its method, `target`, HTTP/1.1, its
// fields without the hop-by-hop ones, Authorization, the method overrides and Host, then
// `Authorization: <authorization>` and `Host: <host>`. The fields the Beast path sends
// (strip_hop_by_hop, strip_client_credentials, set Authorization and Host), in the script's
// order (see write_simple_response_header).
void write_forwarded_request_header(const simple_request& r, std::string_view target,
                                    std::string_view authorization, std::string_view host,
                                    std::string& out);

}  // namespace almagate
