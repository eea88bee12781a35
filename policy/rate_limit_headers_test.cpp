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
