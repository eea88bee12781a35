#include "proxy/headers.hpp"

#include <doctest/doctest.h>

using namespace almagate;

TEST_CASE("strip_hop_by_hop removes hop-by-hop fields and those Connection names, nothing else") {
  http::fields f;
  f.insert(http::field::host, "example.org");
  f.insert(http::field::connection, "keep-alive, X-Secret-Hop");
  f.insert(http::field::connection, "Content-Length, x-other-hop");
  f.insert("X-Secret-Hop", "1");
  f.insert("X-Other-Hop", "2");
  f.insert(http::field::keep_alive, "timeout=5");
  f.insert(http::field::proxy_connection, "keep-alive");
  f.insert(http::field::proxy_authorization, "Basic c2VjcmV0");
  f.insert(http::field::proxy_authenticate, "Basic");
  f.insert(http::field::te, "trailers");
  f.insert(http::field::trailer, "X-Checksum");
  f.insert(http::field::upgrade, "websocket");
  f.insert(http::field::content_length, "11");
  f.insert("X-Exl-Api-Remaining", "42");
  strip_hop_by_hop(f);
  std::vector<std::string> left;
  for (const auto& field : f) left.emplace_back(field.name_string());
  CHECK(left == std::vector<std::string>{"Host", "Content-Length", "X-Exl-Api-Remaining"});
  CHECK(f[http::field::content_length] == "11");
}

TEST_CASE("is_hop_by_hop and is_method_override name the fields strip_hop_by_hop and "
          "strip_client_credentials take out, in any case") {
  for (auto name : {"Connection", "keep-alive", "PROXY-CONNECTION", "Proxy-Authorization",
                    "proxy-authenticate", "te", "Trailer", "upgrade"})
    CHECK(is_hop_by_hop(name));
  for (auto name : {"Transfer-Encoding", "Content-Length", "Host", "TEE", "T", "Authorization"})
    CHECK_FALSE(is_hop_by_hop(name));
  for (auto name : {"x-http-method-override", "X-HTTP-Method", "X-METHOD-OVERRIDE"})
    CHECK(is_method_override(name));
  CHECK_FALSE(is_method_override("X-HTTP-Methods"));
  // What the recognisers drop is what the Beast path drops.
  http::fields f;
  for (auto name : hop_by_hop_fields) f.insert(name, "x");
  for (auto name : method_override_fields) f.insert(name, "DELETE");
  f.insert("X-Kept", "y");
  strip_hop_by_hop(f);
  strip_client_credentials(f);
  CHECK(std::distance(f.begin(), f.end()) == 1);
  CHECK(f["X-Kept"] == "y");
}
