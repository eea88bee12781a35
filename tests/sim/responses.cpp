#include "tests/sim/responses.hpp"

#include <atomic>
#include <cstdio>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

namespace almagate::sim {

namespace {

constexpr std::string_view xml_declaration =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)";

void append_xml_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
}

void append_json_string(std::string& out, std::string_view text) {
  out += boost::json::serialize(boost::json::string(text));
}

// Alma's look: "E01-<date-ish>-<random>"; here a process-wide counter is enough.
std::string tracking_id() {
  static std::atomic<std::uint64_t> next{1};
  char buf[40];
  std::snprintf(buf, sizeof buf, "E01-SIM-%012llu",
                static_cast<unsigned long long>(next.fetch_add(1, std::memory_order_relaxed)));
  return buf;
}

}  // namespace

body_format choose_format(std::string_view format_param, std::string_view accept) {
  if (format_param == "json") return body_format::json;
  if (format_param == "xml") return body_format::xml;
  if (accept.find("application/json") != std::string_view::npos) return body_format::json;
  return body_format::xml;
}

std::string_view content_type(body_format f) {
  return f == body_format::json ? "application/json;charset=UTF-8"
                                : "application/xml;charset=UTF-8";
}

sim_reply error_reply(boost::beast::http::status status, std::string_view code,
                      std::string_view message, body_format f) {
  sim_reply reply;
  reply.status = status;
  reply.content_type = content_type(f);
  const std::string id = tracking_id();
  std::string& b = reply.body;
  if (f == body_format::json) {
    b = R"({"errorsExist":true,"errorList":{"error":[{"errorCode":)";
    append_json_string(b, code);
    b += R"(,"errorMessage":)";
    append_json_string(b, message);
    b += R"(,"trackingId":)";
    append_json_string(b, id);
    b += R"(}]},"result":null})";
  } else {
    b = xml_declaration;
    b += R"(<web_service_result xmlns="http://com/exlibris/urm/general/xmlbeans">)";
    b += "<errorsExist>true</errorsExist><errorList><error><errorCode>";
    append_xml_escaped(b, code);
    b += "</errorCode><errorMessage>";
    append_xml_escaped(b, message);
    b += "</errorMessage><trackingId>";
    append_xml_escaped(b, id);
    b += "</trackingId></error></errorList></web_service_result>";
  }
  return reply;
}

std::string render_record(std::string_view root, const record_fields& fields, body_format f,
                          std::optional<std::uint64_t> received_bytes) {
  std::string out;
  out.reserve(64 + fields.size() * 48);
  if (f == body_format::json) {
    out += '{';
    bool first = true;
    for (const auto& [name, value] : fields) {
      if (!first) out += ',';
      first = false;
      append_json_string(out, name);
      out += ':';
      append_json_string(out, value);
    }
    if (received_bytes) {
      if (!first) out += ',';
      out += R"("received_bytes":)" + std::to_string(*received_bytes);
    }
    out += '}';
    return out;
  }
  out = xml_declaration;
  out += '<';
  out += root;
  out += '>';
  for (const auto& [name, value] : fields) {
    out += '<';
    out += name;
    out += '>';
    append_xml_escaped(out, value);
    out += "</";
    out += name;
    out += '>';
  }
  if (received_bytes)
    out += "<received_bytes>" + std::to_string(*received_bytes) + "</received_bytes>";
  out += "</";
  out += root;
  out += '>';
  return out;
}

}  // namespace almagate::sim
