#include "tests/sim/sim_keys.hpp"

#include <array>

namespace almagate::sim {

namespace {
constexpr std::array<std::string_view, area_count> area_names = {
    "acquisitions", "analytics", "bibs",       "configuration", "courses",
    "electronic",   "partners",  "task-lists", "users"};
}

std::optional<area> area_for_segment(std::string_view segment) {
  if (segment == "acq") return area::acquisitions;
  if (segment == "analytics") return area::analytics;
  if (segment == "bibs" || segment == "items") return area::bibs;
  if (segment == "conf") return area::configuration;
  if (segment == "courses") return area::courses;
  if (segment == "electronic") return area::electronic;
  if (segment == "partners") return area::partners;
  if (segment == "task-lists") return area::task_lists;
  if (segment == "users") return area::users;
  return std::nullopt;
}

std::optional<area> area_for_name(std::string_view name) {
  for (std::size_t i = 0; i < area_count; ++i)
    if (area_names[i] == name) return static_cast<area>(i);
  return std::nullopt;
}

std::string_view name_of(area a) { return area_names[static_cast<std::size_t>(a)]; }

std::optional<access> access_for_name(std::string_view name) {
  if (name == "read") return access::read;
  if (name == "read-write") return access::read_write;
  return std::nullopt;
}

}  // namespace almagate::sim
