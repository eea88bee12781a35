#include "policy/budget.hpp"

#include <doctest/doctest.h>

using namespace almagate;

namespace {

budget_limits pool_of(std::int64_t limit, std::int64_t reserve = 0,
                      std::optional<std::int64_t> quota = std::nullopt) {
  return {limit, reserve, quota};
}

}  // namespace

TEST_CASE("budget: a call under every limit is charged") {
  const auto d = decide({10, 2, false}, pool_of(100, 5, 50));
  CHECK(d.result == outcome::charged);
  CHECK(d.granted == 1);
}

TEST_CASE("budget: the client's quota") {
  CHECK(decide({10, 49, false}, pool_of(100, 0, 50)).result == outcome::charged);
  CHECK(decide({10, 50, false}, pool_of(100, 0, 50)).result == outcome::quota_spent);
  CHECK(decide({10, 0, false}, pool_of(100, 0, 0)).result == outcome::quota_spent);
  // The quota is checked first: its message is the one the client can act on.
  CHECK(decide({100, 50, false}, pool_of(100, 0, 50)).result == outcome::quota_spent);
}

TEST_CASE("budget: core spends the pool to zero") {
  CHECK(decide({99, 0, false}, pool_of(100)).result == outcome::charged);
  CHECK(decide({100, 0, false}, pool_of(100)).result == outcome::pool_spent);
  CHECK(decide({150, 0, false}, pool_of(100)).result == outcome::pool_spent);
}

TEST_CASE("budget: a tier stops when the pool's remaining calls are at its reserve") {
  // 11 left, reserve 10: one more call, then 10 left = at the reserve.
  CHECK(decide({89, 0, false}, pool_of(100, 10)).result == outcome::charged);
  CHECK(decide({90, 0, false}, pool_of(100, 10)).result == outcome::reserve_reached);
  CHECK(decide({99, 0, false}, pool_of(100, 10)).result == outcome::reserve_reached);
  CHECK(decide({100, 0, false}, pool_of(100, 10)).result == outcome::pool_spent);
}

TEST_CASE("budget: a pool marked spent refuses everything") {
  CHECK(decide({0, 0, true}, pool_of(100)).result == outcome::pool_spent);
  CHECK(remaining_for_client({0, 0, true}, pool_of(100)) == 0);
}

TEST_CASE("budget: leases grant what fits in min..max and never pass a limit") {
  auto d = decide({0, 0, false}, pool_of(100, 10), 1, 25);
  CHECK(d.result == outcome::charged);
  CHECK(d.granted == 25);
  d = decide({80, 0, false}, pool_of(100, 10), 1, 25);
  CHECK(d.granted == 10);  // shrinks to what is above the reserve
  d = decide({0, 45, false}, pool_of(100, 0, 50), 1, 25);
  CHECK(d.granted == 5);   // and to the quota
  // All or nothing when min == max.
  d = decide({80, 0, false}, pool_of(100, 10), 25, 25);
  CHECK(d.result == outcome::reserve_reached);
  CHECK(d.granted == 0);
  d = decide({80, 0, false}, pool_of(100), 25, 25);
  CHECK(d.result == outcome::pool_spent);
  d = decide({0, 45, false}, pool_of(100, 0, 50), 25, 25);
  CHECK(d.result == outcome::quota_spent);
}

TEST_CASE("budget: remaining for the client is the smaller of quota and pool above reserve") {
  CHECK(remaining_for_client({10, 5, false}, pool_of(100, 10, 50)) == 45);
  CHECK(remaining_for_client({70, 5, false}, pool_of(100, 10, 50)) == 20);
  CHECK(remaining_for_client({95, 5, false}, pool_of(100, 10, 50)) == 0);
  CHECK(remaining_for_client({95, 0, false}, pool_of(100)) == 5);
  CHECK(quota_left({0, 60, false}, pool_of(100, 0, 50)) == 0);
  CHECK_FALSE(quota_left({0, 60, false}, pool_of(100)).has_value());
}

TEST_CASE("budget: every refusal has a message naming its limit") {
  CHECK(outcome_message(outcome::quota_spent).find("quota") != std::string_view::npos);
  CHECK(outcome_message(outcome::pool_spent).find("limit") != std::string_view::npos);
  CHECK(outcome_message(outcome::reserve_reached).find("reserve") != std::string_view::npos);
  CHECK(outcome_name(outcome::reserve_reached) == "reserve_reached");
}
