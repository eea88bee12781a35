#include "policy/alma_error.hpp"

#include <boost/json.hpp>

namespace almagate {

namespace {
bool contains_json(std::string_view accept) {
  return accept.find("application/json") != std::string_view::npos;
}

void append_xml_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
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
  std::string out =
      R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
      R"(<web_service_result xmlns="http://com/exlibris/urm/general/xmlbeans">)"
      "<errorsExist>true</errorsExist><errorList><error><errorCode>";
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
