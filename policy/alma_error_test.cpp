#include "policy/alma_error.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <string>

using namespace almagate;

namespace {
// The reference XML escape: one byte at a time.
std::string escaped_one_at_a_time(std::string_view text) {
  std::string out;
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
  return out;
}

// The inside of an XML error body's errorMessage element.
std::string xml_message_of(const std::string& body) {
  auto from = body.find("<errorMessage>") + 14;
  return body.substr(from, body.find("</errorMessage>") - from);
}

// The one error of a JSON error body, after checking the envelope.
boost::json::object only_error(const std::string& body) {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(value.is_object());
  const auto& root = value.as_object();
  CHECK(root.size() == 3u);
  REQUIRE(root.contains("errorsExist"));
  CHECK(root.at("errorsExist") == boost::json::value(true));
  REQUIRE(root.contains("result"));
  CHECK(root.at("result").is_null());
  REQUIRE(root.contains("errorList"));
  const auto& list = root.at("errorList").as_object();
  REQUIRE(list.contains("error"));
  const auto& errors = list.at("error").as_array();
  REQUIRE(errors.size() == 1u);
  return errors.at(0).as_object();
}
}  // namespace

TEST_CASE("preferred_format: format parameter wins, then Accept, XML otherwise") {
  struct row {
    std::string_view format;
    std::string_view accept;
    body_format expected;
  };
  const row rows[] = {
      {"", "", body_format::xml},
      {"", "*/*", body_format::xml},
      {"", "application/xml", body_format::xml},
      {"", "application/json", body_format::json},
      {"", "text/html, application/json;q=0.9", body_format::json},
      {"json", "", body_format::json},
      {"json", "application/xml", body_format::json},
      {"xml", "application/json", body_format::xml},
      {"xml", "", body_format::xml},
      {"csv", "application/json", body_format::json},
      {"csv", "", body_format::xml},
  };
  for (const auto& r : rows)
    CHECK_MESSAGE(preferred_format(r.format, r.accept) == r.expected, "format=", r.format,
                  " accept=", r.accept);
}

TEST_CASE("content_type_of") {
  CHECK(content_type_of(body_format::json) == "application/json;charset=UTF-8");
  CHECK(content_type_of(body_format::xml) == "application/xml;charset=UTF-8");
}

TEST_CASE("JSON error body has Alma's shape") {
  auto body = alma_error_body(body_format::json, "UNAUTHORIZED", "API-key not defined.",
                              "agw-123");
  auto error = only_error(body);
  CHECK(error.size() == 3u);
  CHECK(error.at("errorCode").as_string() == "UNAUTHORIZED");
  CHECK(error.at("errorMessage").as_string() == "API-key not defined.");
  CHECK(error.at("trackingId").as_string() == "agw-123");
}

TEST_CASE("JSON error body escapes quotes, backslashes and control characters") {
  const std::string message = "a \"quoted\" \\ path\n<tag> & more";
  auto body = alma_error_body(body_format::json, "INVALID_REQUEST", message, "t\"1");
  auto error = only_error(body);
  CHECK(error.at("errorCode").as_string() == "INVALID_REQUEST");
  CHECK(error.at("errorMessage").as_string() == message);
  CHECK(error.at("trackingId").as_string() == "t\"1");
  CHECK(body.find('\n') == std::string::npos);
}

TEST_CASE("XML error body has Alma's shape") {
  auto body = alma_error_body(body_format::xml, "FORBIDDEN", "Not allowed.", "agw-9");
  CHECK(body.rfind("<?xml", 0) == 0u);
  CHECK(body.find(R"(<web_service_result xmlns="http://com/exlibris/urm/general/xmlbeans">)") !=
        std::string::npos);
  CHECK(body.find("<errorsExist>true</errorsExist>") != std::string::npos);
  CHECK(body.find("<errorList><error><errorCode>FORBIDDEN</errorCode>"
                  "<errorMessage>Not allowed.</errorMessage>"
                  "<trackingId>agw-9</trackingId></error></errorList>") != std::string::npos);
  CHECK(body.size() >= std::string_view("</web_service_result>").size());
  CHECK(body.substr(body.size() - 21) == "</web_service_result>");
}

TEST_CASE("XML error body escapes markup in every field") {
  auto body = alma_error_body(body_format::xml, "A<B", "x < y && y > z \"q\" 'a'",
                              "t&<>");
  CHECK(body.find("<errorCode>A&lt;B</errorCode>") != std::string::npos);
  CHECK(body.find("<errorMessage>x &lt; y &amp;&amp; y &gt; z &quot;q&quot; &apos;a&apos;"
                  "</errorMessage>") != std::string::npos);
  CHECK(body.find("<trackingId>t&amp;&lt;&gt;</trackingId>") != std::string::npos);
  // Nothing from the message survives raw.
  CHECK(body.find("x < y") == std::string::npos);
  CHECK(body.find("&&") == std::string::npos);
}

TEST_CASE("XML error body: every byte, alone and between others, escaped as one at a time") {
  for (int b = 0; b < 256; ++b) {
    const std::string c(1, static_cast<char>(b));
    // (Appended, not concatenated with +: GCC 12 warns wrongly about the latter.)
    std::string between = "ab", repeated = c, after = "&";
    between.append(c).append("cd");
    repeated.append(c).append(c).append("<x>");
    after.append(c);
    for (const std::string& text : {c, between, repeated, after}) {
      CAPTURE(b);
      CHECK(xml_message_of(alma_error_body(body_format::xml, "E", text, "t")) ==
            escaped_one_at_a_time(text));
    }
  }
}

TEST_CASE("XML error body: a byte to escape found at every place of a text several blocks long") {
  // The scan looks at 16 bytes at a time, then byte by byte: each place in a block, at a
  // block's edges and in the tail.
  const std::string filler = "The quota of client caiasoft-sync is used up for today";
  for (std::size_t at = 0; at < filler.size(); ++at) {
    for (char special : std::string_view("<>&\"'")) {
      std::string text = filler;
      text[at] = special;
      CAPTURE(at);
      CAPTURE(special);
      CHECK(xml_message_of(alma_error_body(body_format::xml, "E", text, "t")) ==
            escaped_one_at_a_time(text));
    }
  }
  // Two in a row, across the first block's edge; none at all.
  std::string edge = filler;
  edge[15] = '<';
  edge[16] = '&';
  CHECK(xml_message_of(alma_error_body(body_format::xml, "E", edge, "t")) ==
        filler.substr(0, 15) + "&lt;&amp;" + filler.substr(17));
  CHECK(xml_message_of(alma_error_body(body_format::xml, "E", filler, "t")) == filler);
}

TEST_CASE("an injected closing tag cannot end the message element early") {
  auto body = alma_error_body(body_format::xml, "INVALID_REQUEST",
                              "</errorMessage><errorCode>OK</errorCode>", "t");
  CHECK(body.find("<errorCode>OK</errorCode>") == std::string::npos);
  CHECK(body.find("&lt;/errorMessage&gt;&lt;errorCode&gt;OK") != std::string::npos);
}

TEST_CASE("empty message and tracking id still give a well-formed body") {
  auto json = alma_error_body(body_format::json, "GENERAL_ERROR", "", "");
  auto error = only_error(json);
  CHECK(error.at("errorMessage").as_string().empty());
  auto xml = alma_error_body(body_format::xml, "GENERAL_ERROR", "", "");
  CHECK(xml.find("<errorMessage></errorMessage><trackingId></trackingId>") != std::string::npos);
}
