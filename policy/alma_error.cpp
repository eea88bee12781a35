#include "policy/alma_error.hpp"

#include <boost/json.hpp>

#include <array>

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

// Runs of text that need no escape go in one append each (refusals are answered at twice
// the rate of forwarded calls: a byte at a time cost more than the rest of the body). The
// runs are found with a table, not find_first_of: that calls memchr once per byte.
void append_xml_escaped(std::string& out, std::string_view text) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!xml_special[static_cast<unsigned char>(text[i])]) continue;
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
