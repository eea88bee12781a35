#pragma once
// A message's header as it goes on the wire, formatted by hand into one string. Beast's
// serializer presents a header as a sequence of small buffers (name, ": ", value, CRLF per
// field) and, per call, spent more instructions walking that sequence than there are bytes to
// send; the relay uses this for a header sent on its own or with a body already in memory.

#include <array>
#include <span>
#include <string>
#include <string_view>

#include "proxy/io.hpp"

namespace almagate {

// A field the gateway adds to a message as it formats it, without putting it into the
// message's field list first (one allocation per field there).
struct extra_field {
  std::string_view name;
  std::string_view value;
};

// `m`'s header, then `extra` after its own fields.
template <bool is_request, class Body, class Fields>
std::string wire_header(const http::message<is_request, Body, Fields>& m,
                        std::span<const extra_field> extra = {}) {
  std::string out;
  out.reserve(512);
  auto version = [&out](unsigned v) {
    out += "HTTP/";
    out += static_cast<char>('0' + v / 10);
    out += '.';
    out += static_cast<char>('0' + v % 10);
  };
  if constexpr (is_request) {
    out += m.method_string();
    out += ' ';
    out += m.target();
    out += ' ';
    version(m.version());
  } else {
    version(m.version());
    out += ' ';
    out += std::to_string(m.result_int());
    out += ' ';
    auto reason = m.reason();
    out += reason.empty() ? http::obsolete_reason(m.result()) : reason;
  }
  out += "\r\n";
  for (const auto& field : m) {
    out += field.name_string();
    out += ": ";
    out += field.value();
    out += "\r\n";
  }
  for (const auto& field : extra) {
    out += field.name;
    out += ": ";
    out += field.value;
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

}  // namespace almagate
