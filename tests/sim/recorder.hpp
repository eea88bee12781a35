#pragma once
// The list of /almaws requests the simulator received, for tests to inspect.

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>

namespace almagate::sim {

struct request_record {
  std::string method;
  std::string target;
  // In arrival order; repeated names are joined with ", " when shown.
  std::vector<std::pair<std::string, std::string>> headers;
  std::uint64_t body_bytes = 0;
  double arrival_ms = 0;  // ms since the epoch, with fraction
  unsigned status = 0;
  std::string key;  // the key the call carried, empty if none
};

class recorder {
 public:
  explicit recorder(bool enabled) : enabled_(enabled) {}

  bool enabled() const { return enabled_; }
  void add(request_record record);
  void clear();
  // [{"method","target","headers":{..},"body_bytes","arrival_ms","status","key"}, ...]
  boost::json::array to_json() const;

 private:
  const bool enabled_;
  mutable std::mutex mutex_;
  std::vector<request_record> records_;
};

}  // namespace almagate::sim
