#include "policy/alma_error.hpp"

#include <boost/json.hpp>

#include <array>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace almagate {

namespace {
bool contains_json(std::string_view accept) {
  return accept.find("application/json") != std::string_view::npos;
}

// The bytes XML needs escaped in text and attribute values.
constexpr std::array<bool, 256> xml_special = [] {
  std::array<bool, 256> table{};
  for (unsigned char c : std::string_view("<>&\"'")) table[c] = true;
  return table;
}();

// The first byte at or after `from` that XML escapes, else text.size(). Sixteen bytes at a
// time where SSE2 is there: a refusal's texts hold one such byte or none, and a byte at a
// time through the table was most of the cost of building its body.
std::size_t next_xml_special(std::string_view text, std::size_t from) {
  std::size_t i = from;
#if defined(__SSE2__)
  for (; i + 16 <= text.size(); i += 16) {
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    auto is = [&c](char special) { return _mm_cmpeq_epi8(c, _mm_set1_epi8(special)); };
    const __m128i hit = _mm_or_si128(_mm_or_si128(is('<'), is('>')),
                                     _mm_or_si128(_mm_or_si128(is('&'), is('"')), is('\'')));
    if (const int found = _mm_movemask_epi8(hit))
      return i + static_cast<unsigned>(__builtin_ctz(found));
  }
#endif
  while (i < text.size() && !xml_special[static_cast<unsigned char>(text[i])]) ++i;
  return i;
}

// Runs of text that need no escape go in one append each (refusals are answered at twice
// the rate of forwarded calls: a byte at a time cost more than the rest of the body).
void append_xml_escaped(std::string& out, std::string_view text) {
  std::size_t run = 0;
  for (std::size_t i = next_xml_special(text, 0); i < text.size();
       i = next_xml_special(text, run)) {
    out.append(text.substr(run, i - run));
    switch (text[i]) {
      case '<': out.append("&lt;"); break;
      case '>': out.append("&gt;"); break;
      case '&': out.append("&amp;"); break;
      case '"': out.append("&quot;"); break;
      default: out.append("&apos;"); break;
    }
    run = i + 1;
  }
  out.append(text.substr(run));
}
}  // namespace

body_format preferred_format(std::string_view format_param, std::string_view accept) {
  if (format_param == "json") return body_format::json;
  if (format_param == "xml") return body_format::xml;
  return contains_json(accept) ? body_format::json : body_format::xml;
}

std::string alma_error_body(body_format format, std::string_view code,
                            std::string_view message, std::string_view tracking_id) {
  if (format == body_format::json) {
    boost::json::object error{{"errorCode", code},
                              {"errorMessage", message},
                              {"trackingId", tracking_id}};
    boost::json::object body{
        {"errorsExist", true},
        {"errorList", boost::json::object{{"error", boost::json::array{std::move(error)}}}},
        {"result", nullptr}};
    return boost::json::serialize(body);
  }
  static constexpr std::string_view opening =
      R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
      R"(<web_service_result xmlns="http://com/exlibris/urm/general/xmlbeans">)"
      "<errorsExist>true</errorsExist><errorList><error><errorCode>";
  std::string out;
  // Room for the whole body unless the texts hold characters to escape.
  out.reserve(opening.size() + 120 + code.size() + message.size() + tracking_id.size());
  out.append(opening);
  append_xml_escaped(out, code);
  out += "</errorCode><errorMessage>";
  append_xml_escaped(out, message);
  out += "</errorMessage><trackingId>";
  append_xml_escaped(out, tracking_id);
  out += "</trackingId></error></errorList></web_service_result>";
  return out;
}

std::string_view content_type_of(body_format format) {
  return format == body_format::json ? "application/json;charset=UTF-8"
                                     : "application/xml;charset=UTF-8";
}

}  // namespace almagate
