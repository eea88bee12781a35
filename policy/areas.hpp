#pragma once
// Alma API areas and the access a call needs in one.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace almagate {

enum class area : std::uint8_t {
  acquisitions,
  analytics,
  bibs,
  configuration,
  courses,
  electronic,
  partners,
  task_lists,
  users,
};
inline constexpr std::size_t area_count = 9;

inline constexpr std::array<area, area_count> all_areas = {
    area::acquisitions, area::analytics, area::bibs,     area::configuration, area::courses,
    area::electronic,   area::partners,  area::task_lists, area::users};

// `read` allows GET/HEAD and the read-only POSTs; `read_write` allows everything.
enum class access : std::uint8_t { none = 0, read = 1, read_write = 2 };

// Config spelling: "acquisitions", ..., "task-lists", "users".
std::string_view area_name(area a);
std::optional<area> area_from_name(std::string_view name);

// "read" / "read-write".
std::string_view access_name(access a);
std::optional<access> access_from_name(std::string_view name);

// The first path segment after /almaws/v1/ ("acq", "items", "conf", ...).
std::optional<area> area_from_segment(std::string_view segment);

// What the key or client is granted in each area.
struct area_grants {
  std::array<access, area_count> by_area{};  // all `none`

  access operator[](area a) const { return by_area[static_cast<std::size_t>(a)]; }
  access& operator[](area a) { return by_area[static_cast<std::size_t>(a)]; }
  bool allows(area a, access needed) const { return (*this)[a] >= needed; }
};

}  // namespace almagate
