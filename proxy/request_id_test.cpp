#include "proxy/request_id.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>

using namespace almagate;

TEST_CASE("request ids: 16 lower-case hex digits, none repeated") {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    const request_id id = request_id::make();
    const std::string_view digits = id;
    REQUIRE(digits.size() == 16);
    CHECK(std::all_of(digits.begin(), digits.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }));
    seen.emplace(digits);
  }
  CHECK(seen.size() == 10000);
  const std::string text = new_request_id();
  CHECK(text.size() == 16);
  CHECK_FALSE(seen.contains(text));
}
