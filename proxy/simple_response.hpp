#pragma once
// The usual upstream answer, passed on without Beast's parser: a 2xx with one Content-Length,
// well-formed fields and the body read whole with the header. Beast's parser builds a field
// list (an allocation per field) that the gateway then edits and writes out again; here the
// header is checked and copied in one pass. Anything this does not recognise goes to Beast's
// parser from the same bytes, so the two must agree on every answer recognised (see the test).

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "proxy/simple_fields.hpp"
#include "proxy/wire.hpp"

namespace almagate {

struct simple_response {
  static constexpr std::size_t max_fields = 32;  // more: Beast's parser takes the answer

  unsigned status = 0;
  std::size_t header_bytes = 0;    // through the blank line
  std::uint64_t content_length = 0;
  bool keep_alive = true;          // the upstream keeps the connection open
  std::string_view exl_remaining;  // X-Exl-Api-Remaining as Alma sent it, if it did
  std::string_view status_line;    // without its CRLF (which follows it in the header)
  simple_fields::field_room<max_fields> fields;  // the first field_count
  std::size_t field_count = 0;
};

// Where the header in `bytes` ends (after its blank line), or npos while it is not whole.
std::size_t header_end(std::string_view bytes);

// Whether `header` (a whole header, as header_end found it) is a simple answer: HTTP/1.1, a
// status 200-299 other than 204 and 205 with a reason phrase, at most max_fields fields
// without folding or control characters, exactly one Content-Length, no Transfer-Encoding or
// Proxy-Connection, and at most one Connection field, naming nothing but close and
// keep-alive. True: `out` holds it (filled in place: the field list is over a kilobyte, not
// worth copying); false: Beast's parser takes it.
bool recognise_simple_response(std::string_view header, simple_response& out);

// The header the script gets for `r`, appended to `out`: the upstream's status line, its
// fields except the hop-by-hop ones and those named in `replaced` (any case), `Connection:
// close` if `close`, then `added`, then the blank line: the fields Beast's parser,
// strip_hop_by_hop, erasing `replaced`, keep_alive(!close) and wire_header(m, added) give, in
// the upstream's order (Beast moves a repeated field up beside the first of its name; the
// values of one name keep their order either way, and a header without repeats is the same
// byte for byte).
void write_simple_response_header(const simple_response& r, std::span<const extra_field> replaced,
                                  bool close, std::span<const extra_field> added,
                                  std::string& out);

}  // namespace almagate
