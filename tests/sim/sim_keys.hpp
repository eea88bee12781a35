#pragma once
// The simulator's own key table and area spellings (it does not link the policy library).

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "policy/areas.hpp"

namespace almagate::sim {

// "acq", "items", "conf", ... -> area; unknown segment -> nullopt.
std::optional<area> area_for_segment(std::string_view segment);
// Config spelling: "acquisitions", ..., "task-lists", "users".
std::optional<area> area_for_name(std::string_view name);
std::string_view name_of(area a);
// "read" / "read-write".
std::optional<access> access_for_name(std::string_view name);

struct key_grant {
  std::string environment;  // "production" or "sandbox"
  area_grants areas;
};

// Known keys, looked up by the key string itself.
class key_table {
 public:
  void add(std::string key, key_grant grant) {
    keys_.insert_or_assign(std::move(key), std::move(grant));
  }
  const key_grant* find(std::string_view key) const {
    auto it = keys_.find(key);
    return it == keys_.end() ? nullptr : &it->second;
  }
  std::size_t size() const { return keys_.size(); }

 private:
  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, key_grant, hash, std::equal_to<>> keys_;
};

}  // namespace almagate::sim
