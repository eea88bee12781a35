#include "proxy/admin_hours.hpp"

#include <boost/json.hpp>

namespace almagate {

namespace json = boost::json;

json::value to_json(const hours_report& report) {
  json::array pools;
  for (const auto& p : report.pools) {
    json::array hours(p.hours.begin(), p.hours.end());
    json::value current = p.current_hour ? json::value(*p.current_hour) : json::value(nullptr);
    json::value current_start = p.current_hour ? json::value(p.current_hour_start)
                                               : json::value(nullptr);
    pools.push_back(json::object{{"pool", p.pool},
                                 {"timezone", p.timezone},
                                 {"reset", p.reset},
                                 {"daily_limit", p.daily_limit},
                                 {"used", p.used},
                                 {"reserve", json::object{{"standard", p.reserve_standard},
                                                          {"batch", p.reserve_batch}}},
                                 {"day_start", p.day_start},
                                 {"next_reset", p.next_reset},
                                 {"current_hour", std::move(current)},
                                 {"current_hour_start", std::move(current_start)},
                                 {"hours", std::move(hours)}});
  }
  return json::object{{"date", report.date}, {"now", report.now}, {"pools", std::move(pools)}};
}

}  // namespace almagate
