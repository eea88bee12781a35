#include "proxy/headers.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>

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

TEST_CASE("iequals_ascii agrees with beast::iequals for every byte pair at every place") {
  // Lengths 1 to 17 cover the byte loop, one and two 4-byte words, and 8-byte words with and
  // without the last one overlapping.
  long differ = 0;
  for (std::size_t n = 1; n <= 17; ++n)
    for (std::size_t at = 0; at < n; ++at)
      for (int c = 0; c < 256; ++c)
        for (int d = 0; d < 256; ++d) {
          std::string a(n, 'k'), b(n, 'K');
          a[at] = static_cast<char>(c);
          b[at] = static_cast<char>(d);
          differ += iequals_ascii(a, b) != beast::iequals(a, b);
        }
  CHECK(differ == 0);
  CHECK_FALSE(iequals_ascii("abc", "abcd"));
  CHECK(iequals_ascii("", ""));
}

namespace {
// iequals_name<name> against beast::iequals on `name` with letters' case flipped, one byte
// replaced, or one byte more.
template <fixed_name name>
long iequals_name_differences(std::mt19937& random) {
  const std::string_view literal(name.text, sizeof(name.text));
  long differ = 0;
  for (std::size_t at = 0; at < literal.size(); ++at)
    for (int c = 0; c < 256; ++c) {
      std::string a(literal);
      a[at] = static_cast<char>(c);
      differ += iequals_name<name>(a) != beast::iequals(a, literal);
    }
  for (int k = 0; k < 20000; ++k) {
    std::string a(literal);
    for (auto& c : a)
      if (random() % 4 == 0) c = static_cast<char>(c ^ 0x20);
    if (random() % 3 == 0) a[random() % a.size()] = static_cast<char>(random());
    if (random() % 7 == 0) a.push_back('x');
    differ += iequals_name<name>(a) != beast::iequals(a, literal);
  }
  return differ;
}
}  // namespace

TEST_CASE("iequals_name agrees with beast::iequals for names of every word shape") {
  std::mt19937 random(2);
  CHECK(iequals_name_differences<"TE">(random) == 0);
  CHECK(iequals_name_differences<"Host">(random) == 0);
  CHECK(iequals_name_differences<"close">(random) == 0);
  CHECK(iequals_name_differences<"Trailer">(random) == 0);
  CHECK(iequals_name_differences<"12345678">(random) == 0);
  CHECK(iequals_name_differences<"a-[@`{">(random) == 0);  // the bytes around the letters
  CHECK(iequals_name_differences<"Keep-Alive">(random) == 0);
  CHECK(iequals_name_differences<"Content-Length">(random) == 0);
  CHECK(iequals_name_differences<"X-Exl-Api-Remaining">(random) == 0);
  CHECK(iequals_name_differences<"X-HTTP-Method-Override">(random) == 0);
}
