#include "tests/sim/recorder.hpp"

#include <boost/json/object.hpp>

namespace almagate::sim {

void recorder::add(request_record record) {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  records_.push_back(std::move(record));
}

void recorder::clear() {
  std::lock_guard lock(mutex_);
  records_.clear();
}

boost::json::array recorder::to_json() const {
  std::lock_guard lock(mutex_);
  boost::json::array out;
  out.reserve(records_.size());
  for (const auto& r : records_) {
    boost::json::object headers;
    for (const auto& [name, value] : r.headers) {
      auto it = headers.find(name);
      if (it == headers.end()) {
        headers.emplace(name, value);
      } else {
        auto& joined = it->value().as_string();
        joined.append(", ");
        joined.append(value);
      }
    }
    out.push_back(boost::json::object{{"method", r.method},
                                      {"target", r.target},
                                      {"headers", std::move(headers)},
                                      {"body_bytes", r.body_bytes},
                                      {"arrival_ms", r.arrival_ms},
                                      {"status", r.status},
                                      {"key", r.key}});
  }
  return out;
}

}  // namespace almagate::sim
