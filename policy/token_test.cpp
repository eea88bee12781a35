#include "policy/token.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace almagate;

TEST_CASE("sha256_hex gives lower-case hex of the digest") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // Embedded NUL bytes are hashed, not treated as the end of the text.
  CHECK(sha256_hex(std::string_view("a\0b", 3)) != sha256_hex("a"));
  CHECK(sha256_hex("agt_x").size() == 64u);
}

TEST_CASE("new_token is agt_ plus 43 base64url characters, fresh each call") {
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto token = new_token();
    REQUIRE(token.size() == 4u + 43u);
    CHECK(token.substr(0, 4) == "agt_");
    auto body = token.substr(4);
    CHECK(body.find_first_not_of(alphabet) == std::string::npos);
    // 256 bits leave 4 bits in the last character: its two low bits are padding zeros.
    CHECK(alphabet.find(body.back()) % 4 == 0u);
    seen.insert(token);
  }
  CHECK(seen.size() == 200u);
}

TEST_CASE("token_from_authorization accepts apikey and Bearer, any case") {
  struct row {
    std::string_view header;
    std::string_view token;
  };
  const row rows[] = {
      {"apikey l7xx123", "l7xx123"},   {"Bearer agt_abc", "agt_abc"},
      {"APIKEY l7xx123", "l7xx123"},   {"ApiKey l7xx123", "l7xx123"},
      {"bearer agt_abc", "agt_abc"},   {"BEARER agt_abc", "agt_abc"},
      {"  Bearer   agt_abc  ", "agt_abc"}, {"Bearer  agt_abc", "agt_abc"},
      {"apikey l7xx-with.dots~", "l7xx-with.dots~"},
  };
  for (const auto& r : rows) {
    auto got = token_from_authorization(r.header);
    REQUIRE_MESSAGE(got.has_value(), r.header);
    CHECK_MESSAGE(*got == r.token, r.header);
  }
}

TEST_CASE("token_from_authorization returns a view into the header value") {
  std::string header = "Bearer agt_view";
  auto got = token_from_authorization(header);
  REQUIRE(got.has_value());
  CHECK(got->data() == header.data() + 7);
}

TEST_CASE("token_from_authorization rejects other schemes and empty credentials") {
  for (std::string_view header :
       {"", "   ", "Basic dXNlcjpwYXNz", "basic dXNlcjpwYXNz", "Digest username=x", "Bearer",
        "Bearer ", "Bearer    ", "apikey", "apikey ", "apikey\t", "BearerX", "apikeyX",
        "Token agt_abc", "agt_abc", "Bearer: agt_abc"})
    CHECK_MESSAGE(!token_from_authorization(header).has_value(), "header: '", header, "'");
}

TEST_CASE("token_collector") {
  SUBCASE("nothing added") {
    token_collector tokens;
    CHECK(tokens.status() == token_status::none);
    CHECK(tokens.token().empty());
  }
  SUBCASE("one token") {
    token_collector tokens;
    tokens.add("agt_a");
    CHECK(tokens.status() == token_status::one);
    CHECK(tokens.token() == "agt_a");
  }
  SUBCASE("the same token twice is still one") {
    token_collector tokens;
    std::string first = "agt_a", second = "agt_a";
    tokens.add(first);
    tokens.add(second);
    tokens.add("agt_a");
    CHECK(tokens.status() == token_status::one);
    CHECK(tokens.token() == "agt_a");
  }
  SUBCASE("two different tokens conflict, and stay in conflict") {
    token_collector tokens;
    tokens.add("agt_a");
    tokens.add("agt_b");
    CHECK(tokens.status() == token_status::conflicting);
    tokens.add("agt_a");
    CHECK(tokens.status() == token_status::conflicting);
  }
  SUBCASE("tokens differing only in case conflict") {
    token_collector tokens;
    tokens.add("agt_a");
    tokens.add("AGT_A");
    CHECK(tokens.status() == token_status::conflicting);
  }
}

TEST_CASE("token_sha256_hex gives each token's own digest, also once the memory is full") {
  const std::string a = "agt_first-token", b = "agt_second-token";
  CHECK(token_sha256_hex(a) == sha256_hex(a));
  CHECK(token_sha256_hex(b) == sha256_hex(b));
  CHECK(token_sha256_hex(a) == sha256_hex(a));  // remembered, still a's
  for (int i = 0; i < 1500; ++i) {               // past the 1,024 remembered: emptied once
    const std::string t = "agt_flood-" + std::to_string(i);
    REQUIRE(token_sha256_hex(t) == sha256_hex(t));
  }
  CHECK(token_sha256_hex(b) == sha256_hex(b));
  CHECK(token_sha256_hex("") == sha256_hex(""));
}

TEST_CASE("token_sha256_hex switches between tokens sent in turn") {
  const std::string a = "agt_turn-a", b = "agt_turn-b";
  for (int i = 0; i < 3; ++i) {
    std::string digest_a(token_sha256_hex(a));
    CHECK(digest_a == sha256_hex(a));
    CHECK(token_sha256_hex(b) == sha256_hex(b));
    CHECK(token_sha256_hex(b) == sha256_hex(b));
  }
  // A token that is a prefix of the last one is its own token.
  CHECK(token_sha256_hex("agt_turn") == sha256_hex("agt_turn"));
  CHECK(token_sha256_hex(a).size() == 64u);
}
