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

// "HTTP/1.1" (or "HTTP/1.0") for a message's version, kept in place.
class version_text {
 public:
  explicit version_text(unsigned v)
      : text_{'H', 'T', 'T', 'P', '/', static_cast<char>('0' + v / 10), '.',
              static_cast<char>('0' + v % 10)} {}
  std::string_view view() const { return {text_, sizeof text_}; }

 private:
  char text_[8];
};

// A response's first line, as pieces kept in place: version, status code and reason.
class status_line {
 public:
  status_line(unsigned version, unsigned status, std::string_view reason)
      : version_(version), reason_(reason) {
    code_size_ = static_cast<std::size_t>(std::to_chars(code_, code_ + sizeof code_, status).ptr -
                                          code_);
  }
  std::array<std::string_view, 5> pieces() const {
    return {version_.view(), " ", std::string_view(code_, code_size_), " ", reason_};
  }

 private:
  version_text version_;
  char code_[4];
  std::size_t code_size_ = 0;
  std::string_view reason_;
};

// A header's pieces copied into a string sized for them beforehand (one allocation, no
// capacity check per piece; a piece of known size, ": " or CRLF, is a plain store).
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

// A header: `first_line`'s pieces, CRLF, the fields `each_field` gives, the blank line, sized
// first and then written into place. each_field(f) calls f(name, value) for every field, the
// same way both times.
template <class EachField>
std::string header_of(std::span<const std::string_view> first_line, EachField&& each_field) {
  std::size_t size = 4;  // the first line's CRLF and the blank line
  for (auto piece : first_line) size += piece.size();
  each_field([&size](const auto& name, const auto& value) {
    size += name.size() + value.size() + 4;
  });
  sized_header out(size);
  for (auto piece : first_line) out.put(piece);
  out.put(std::string_view("\r\n"));
  each_field([&out](const auto& name, const auto& value) { out.field(name, value); });
  out.put(std::string_view("\r\n"));
  return out.take();
}

// `m`'s header, then `extra` after its own fields.
template <bool is_request, class Body, class Fields>
std::string wire_header(const http::message<is_request, Body, Fields>& m,
                        std::span<const extra_field> extra = {}) {
  auto fields = [&](auto&& put) {
    for (const auto& field : m) put(field.name_string(), field.value());
    for (const auto& field : extra) put(field.name, field.value);
  };
  if constexpr (is_request) {
    const version_text version(m.version());
    const auto method = m.method_string();
    const auto target = m.target();
    const std::array<std::string_view, 5> first_line{
        std::string_view(method.data(), method.size()), " ",
        std::string_view(target.data(), target.size()), " ", version.view()};
    return header_of(first_line, fields);
  } else {
    auto reason = m.reason();
    if (reason.empty()) reason = http::obsolete_reason(m.result());
    const status_line line(m.version(), m.result_int(),
                           std::string_view(reason.data(), reason.size()));
    return header_of(line.pieces(), fields);
  }
}

// The header of a response the gateway makes itself (an Alma-style refusal), byte for byte as
// wire_header writes the Beast message with these fields set in this order (Content-Type,
// keep_alive(), prepare_payload()), then `extra`: without building that message's field list.
inline std::string own_response_header(unsigned status, unsigned version,
                                       std::string_view content_type,
                                       std::size_t content_length, bool keep_alive,
                                       std::span<const extra_field> extra) {
  char length[24];
  const std::string_view length_text(
      length,
      static_cast<std::size_t>(std::to_chars(length, length + sizeof length, content_length).ptr -
                               length));
  // What Beast's keep_alive() sets: HTTP/1.1 says only close, HTTP/1.0 only keep-alive.
  std::string_view connection;
  if (version >= 11 && !keep_alive) connection = "close";
  if (version < 11 && keep_alive) connection = "keep-alive";
  const auto reason = http::obsolete_reason(static_cast<http::status>(status));
  const status_line line(version, status, std::string_view(reason.data(), reason.size()));
  return header_of(line.pieces(), [&](auto&& put) {
    put(std::string_view("Content-Type"), content_type);
    if (!connection.empty()) put(std::string_view("Connection"), connection);
    put(std::string_view("Content-Length"), length_text);
    for (const auto& field : extra) put(field.name, field.value);
  });
}

}  // namespace almagate
