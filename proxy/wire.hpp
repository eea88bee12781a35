#pragma once
// A message's header as it goes on the wire, formatted by hand into one string. Beast's
// serializer presents a header as a sequence of small buffers (name, ": ", value, CRLF per
// field) and, per call, spent more instructions walking that sequence than there are bytes to
// send; the relay uses this for a header sent on its own or with a body already in memory.

#include <array>
#include <charconv>
#include <cstring>
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

// A header's pieces copied into a string sized for them beforehand (one allocation, no
// capacity check per piece).
class sized_header {
 public:
  explicit sized_header(std::size_t size) : out_(size, '\0'), at_(out_.data()) {}
  template <class Text>
  void put(const Text& piece) {
    std::memcpy(at_, piece.data(), piece.size());
    at_ += piece.size();
  }
  template <class Name, class Value>
  void field(const Name& name, const Value& value) {
    put(name);
    put(std::string_view(": "));
    put(value);
    put(std::string_view("\r\n"));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  char* at_;
};

// `m`'s header, then `extra` after its own fields: sized first, then copied piece by piece
// into place.
template <bool is_request, class Body, class Fields>
std::string wire_header(const http::message<is_request, Body, Fields>& m,
                        std::span<const extra_field> extra = {}) {
  const unsigned v = m.version();
  const char version[8] = {'H', 'T', 'T', 'P', '/', static_cast<char>('0' + v / 10), '.',
                           static_cast<char>('0' + v % 10)};
  char status[4] = {};
  std::array<std::string_view, 5> first_line;
  if constexpr (is_request) {
    const auto method = m.method_string();
    const auto target = m.target();
    first_line = {std::string_view(method.data(), method.size()), " ",
                  std::string_view(target.data(), target.size()), " ",
                  std::string_view(version, sizeof version)};
  } else {
    const auto end = std::to_chars(status, status + sizeof status, m.result_int()).ptr;
    auto reason = m.reason();
    if (reason.empty()) reason = http::obsolete_reason(m.result());
    first_line = {std::string_view(version, sizeof version), " ",
                  std::string_view(status, static_cast<std::size_t>(end - status)), " ",
                  std::string_view(reason.data(), reason.size())};
  }
  std::size_t size = 4;  // the first line's CRLF and the blank line
  for (auto piece : first_line) size += piece.size();
  for (const auto& field : m) size += field.name_string().size() + field.value().size() + 4;
  for (const auto& field : extra) size += field.name.size() + field.value.size() + 4;

  sized_header out(size);
  for (auto piece : first_line) out.put(piece);
  out.put(std::string_view("\r\n"));
  for (const auto& field : m) out.field(field.name_string(), field.value());
  for (const auto& field : extra) out.field(field.name, field.value);
  out.put(std::string_view("\r\n"));
  return out.take();
}

// The header of a response the gateway makes itself (an Alma-style refusal), byte for byte as
// wire_header writes the Beast message with these fields set in this order (Content-Type,
// keep_alive(), prepare_payload()), then `extra`: without building that message's field list.
inline std::string own_response_header(unsigned status, unsigned version,
                                       std::string_view content_type,
                                       std::size_t content_length, bool keep_alive,
                                       std::span<const extra_field> extra) {
  char length[24];
  const auto length_end = std::to_chars(length, length + sizeof length, content_length).ptr;
  // What Beast's keep_alive() sets: HTTP/1.1 says only close, HTTP/1.0 only keep-alive.
  std::string_view connection;
  if (version >= 11 && !keep_alive) connection = "close";
  if (version < 11 && keep_alive) connection = "keep-alive";
  std::array<extra_field, 3> own;
  std::size_t n = 0;
  own[n++] = {"Content-Type", content_type};
  if (!connection.empty()) own[n++] = {"Connection", connection};
  own[n++] = {"Content-Length",
              std::string_view(length, static_cast<std::size_t>(length_end - length))};

  const char first[8] = {'H', 'T', 'T', 'P', '/', static_cast<char>('0' + version / 10), '.',
                         static_cast<char>('0' + version % 10)};
  char code[4];
  const auto code_end = std::to_chars(code, code + sizeof code, status).ptr;
  const auto reason = http::obsolete_reason(static_cast<http::status>(status));
  std::size_t size = sizeof first + 1 + static_cast<std::size_t>(code_end - code) + 1 +
                     reason.size() + 4;
  for (std::size_t i = 0; i < n; ++i) size += own[i].name.size() + own[i].value.size() + 4;
  for (const auto& field : extra) size += field.name.size() + field.value.size() + 4;

  sized_header out(size);
  out.put(std::string_view(first, sizeof first));
  out.put(std::string_view(" "));
  out.put(std::string_view(code, static_cast<std::size_t>(code_end - code)));
  out.put(std::string_view(" "));
  out.put(reason);
  out.put(std::string_view("\r\n"));
  for (std::size_t i = 0; i < n; ++i) out.field(own[i].name, own[i].value);
  for (const auto& field : extra) out.field(field.name, field.value);
  out.put(std::string_view("\r\n"));
  return out.take();
}

}  // namespace almagate
