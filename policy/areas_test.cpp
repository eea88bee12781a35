#include "policy/areas.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace almagate;

TEST_CASE("area names round-trip through the config spelling") {
  std::set<std::string> seen;
  for (area a : all_areas) {
    auto name = area_name(a);
    CHECK_FALSE(name.empty());
    seen.emplace(name);
    auto back = area_from_name(name);
    REQUIRE(back.has_value());
    CHECK(*back == a);
  }
  CHECK(seen.size() == area_count);
  CHECK(area_name(area::task_lists) == "task-lists");
  CHECK(area_name(area::acquisitions) == "acquisitions");
  CHECK(area_name(area::configuration) == "configuration");
}

TEST_CASE("unknown area names are rejected") {
  for (std::string_view name : {"", "acq", "conf", "items", "task_lists", "Bibs", "USERS", "bibs "})
    CHECK_MESSAGE(!area_from_name(name).has_value(), name);
}

TEST_CASE("access names") {
  CHECK(access_name(almagate::access::read) == "read");
  CHECK(access_name(almagate::access::read_write) == "read-write");
  CHECK(access_name(almagate::access::none) == "none");
  CHECK(access_from_name("read") == almagate::access::read);
  CHECK(access_from_name("read-write") == almagate::access::read_write);
  CHECK_FALSE(access_from_name("none").has_value());
  CHECK_FALSE(access_from_name("write").has_value());
  CHECK_FALSE(access_from_name("read_write").has_value());
  CHECK_FALSE(access_from_name("READ").has_value());
  CHECK_FALSE(access_from_name("").has_value());
}

TEST_CASE("area_from_segment maps every Alma path segment") {
  struct row {
    std::string_view segment;
    area expected;
  };
  const row rows[] = {
      {"acq", area::acquisitions},   {"analytics", area::analytics}, {"bibs", area::bibs},
      {"items", area::bibs},         {"conf", area::configuration},  {"courses", area::courses},
      {"electronic", area::electronic}, {"partners", area::partners},
      {"task-lists", area::task_lists}, {"users", area::users},
  };
  for (const auto& r : rows) {
    auto got = area_from_segment(r.segment);
    REQUIRE_MESSAGE(got.has_value(), r.segment);
    CHECK_MESSAGE(*got == r.expected, r.segment);
  }
}

TEST_CASE("area_from_segment refuses anything else") {
  for (std::string_view segment :
       {"", "acquisitions", "configuration", "task_lists", "tasklists", "item", "bib", "Bibs",
        "BIBS", "users ", "%62ibs", "user", "almaws", "v1", "test"})
    CHECK_MESSAGE(!area_from_segment(segment).has_value(), segment);
}

TEST_CASE("area_grants start at none and compare by level") {
  area_grants grants;
  for (area a : all_areas) {
    CHECK(grants[a] == almagate::access::none);
    CHECK(grants.allows(a, almagate::access::none));
    CHECK_FALSE(grants.allows(a, almagate::access::read));
    CHECK_FALSE(grants.allows(a, almagate::access::read_write));
  }
  grants[area::bibs] = almagate::access::read;
  grants[area::users] = almagate::access::read_write;
  CHECK(grants.allows(area::bibs, almagate::access::read));
  CHECK_FALSE(grants.allows(area::bibs, almagate::access::read_write));
  CHECK(grants.allows(area::users, almagate::access::read));
  CHECK(grants.allows(area::users, almagate::access::read_write));
  CHECK_FALSE(grants.allows(area::configuration, almagate::access::read));

  const area_grants& view = grants;
  CHECK(view[area::users] == almagate::access::read_write);
}
