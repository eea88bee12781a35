#include "policy/redis_asio.hpp"

#include <doctest/doctest.h>

using namespace almagate;

TEST_CASE("redis url: host, port, db and password") {
  auto o = parse_redis_url("redis://cache.example.org:6380/2");
  REQUIRE(o);
  CHECK(o->host == "cache.example.org");
  CHECK(o->port == 6380);
  CHECK(o->db == 2);
  CHECK(o->password.empty());
  o = parse_redis_url("redis://:s3cret@127.0.0.1");
  REQUIRE(o);
  CHECK(o->host == "127.0.0.1");
  CHECK(o->port == 6379);
  CHECK(o->db == 0);
  CHECK(o->password == "s3cret");
}

TEST_CASE("redis url: malformed ones are refused") {
  CHECK_FALSE(parse_redis_url("memory"));
  CHECK_FALSE(parse_redis_url("http://127.0.0.1:6379"));
  CHECK_FALSE(parse_redis_url("redis://127.0.0.1:6379/x"));
  CHECK_FALSE(parse_redis_url("redis:///0"));
}
