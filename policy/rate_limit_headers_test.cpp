#include "policy/rate_limit_headers.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <string>

using namespace almagate;

TEST_CASE("rate_limit_fields_for: the client's allowance, in the IETF fields and Alma's") {
  budget_limits limits{.daily_limit = 100000, .reserve = 5000, .quota = 60000};
  auto f = rate_limit_fields_for({.pool_used = 20000, .client_used = 1000}, limits,
                                 std::chrono::seconds(3600));
  CHECK(f.policy == "\"daily\";q=60000;w=86400");
  CHECK(f.limit == "\"daily\";r=59000;t=3600");
  CHECK(f.exl_remaining == "59000");

  // The pool above the reserve is the smaller: it is the allowance and what remains.
  f = rate_limit_fields_for({.pool_used = 90000, .client_used = 1000}, limits,
                            std::chrono::seconds(-5));
  CHECK(f.policy == "\"daily\";q=60000;w=86400");
  CHECK(f.limit == "\"daily\";r=5000;t=0");
  CHECK(f.exl_remaining == "5000");

  // No quota: the pool's part; a pool marked spent leaves nothing.
  limits.quota.reset();
  f = rate_limit_fields_for({.pool_used = 1, .pool_marked_spent = true}, limits,
                            std::chrono::seconds(86399));
  CHECK(f.policy == "\"daily\";q=95000;w=86400");
  CHECK(f.limit == "\"daily\";r=0;t=86399");
  CHECK(f.exl_remaining == "0");
}

TEST_CASE("field_text holds the widest values and cuts, never overruns, past its capacity") {
  field_text t;
  t << "\"daily\";r=" << std::numeric_limits<std::int64_t>::max() << ";t="
    << std::numeric_limits<std::int64_t>::min();
  CHECK(t == "\"daily\";r=9223372036854775807;t=-9223372036854775808");
  field_text full;
  full << std::string(100, 'x') << 42;
  CHECK(full.view() == std::string(field_text::capacity, 'x'));
}

TEST_CASE("rate_limit_fields_for: exact text over counts, limits and a changing allowance") {
  struct row {
    budget_limits limits;
    budget_state state;
    std::int64_t until_reset;
    const char* policy;
    const char* limit;
    const char* remaining;
  };
  // Allowances change from row to row and back: the kept policy text must follow each change.
  const row rows[] = {
      {{100000, 5000, 60000}, {20000, 1000}, 3600, "\"daily\";q=60000;w=86400",
       "\"daily\";r=59000;t=3600", "59000"},
      {{100000, 5000, 60000}, {20001, 1001}, 3599, "\"daily\";q=60000;w=86400",
       "\"daily\";r=58999;t=3599", "58999"},
      {{100000, 5000, 70000}, {20001, 1001}, 3599, "\"daily\";q=70000;w=86400",
       "\"daily\";r=68999;t=3599", "68999"},
      {{100000, 0, std::nullopt}, {0, 0}, 86400, "\"daily\";q=100000;w=86400",
       "\"daily\";r=100000;t=86400", "100000"},
      {{100000, 5000, 60000}, {99999, 60000}, 1, "\"daily\";q=60000;w=86400",
       "\"daily\";r=0;t=1", "0"},
      {{9, 0, 0}, {0, 0}, 0, "\"daily\";q=0;w=86400", "\"daily\";r=0;t=0", "0"},
      {{9, 0, 0}, {0, 0, true}, 7, "\"daily\";q=0;w=86400", "\"daily\";r=0;t=7", "0"},
      {{1000000000, 0, std::nullopt}, {123456789, 5}, 42, "\"daily\";q=1000000000;w=86400",
       "\"daily\";r=876543211;t=42", "876543211"},
      {{100000, 5000, 60000}, {20000, 1000}, 3600, "\"daily\";q=60000;w=86400",
       "\"daily\";r=59000;t=3600", "59000"},
  };
  for (const row& r : rows) {
    CAPTURE(r.limit);
    auto f = rate_limit_fields_for(r.state, r.limits, std::chrono::seconds(r.until_reset));
    CHECK(f.policy == r.policy);
    CHECK(f.limit == r.limit);
    CHECK(f.exl_remaining == r.remaining);
  }
}

TEST_CASE("field_text copies carry their text, and appends after a copy stay apart") {
  field_text a;
  a << "\"daily\";q=" << std::int64_t{60000};
  field_text b = a;
  b << ";w=86400";
  a << ";w=1";
  CHECK(a == "\"daily\";q=60000;w=1");
  CHECK(b == "\"daily\";q=60000;w=86400");
  field_text empty;
  CHECK(empty.view().empty());
  empty << "" << "x";
  CHECK(empty == "x");
}
