#include "proxy/access_log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

#include <cstdio>
#include <ctime>

namespace almagate {

namespace {
std::string utc_now_iso() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count()));
  return buf;
}
}  // namespace

static void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

std::string format_access_line(const access_record& r) {
  std::string out;
  out.reserve(320);
  auto field = [&out](std::string_view name, std::string_view value) {
    out += out.empty() ? "{" : ",";
    append_json_string(out, name);
    out += ':';
    append_json_string(out, value);
  };
  auto number = [&out](std::string_view name, std::string_view value) {
    out += ',';
    append_json_string(out, name);
    out += ':';
    out += value;
  };
  char buf[32];
  field("time", utc_now_iso());
  field("request_id", r.request_id);
  field("client", r.client);
  field("environment", r.environment);
  field("area", r.area);
  field("access", r.access);
  field("method", r.method);
  field("path", r.path);
  number("status", std::to_string(r.status));
  field("outcome", r.outcome);
  if (!r.error_code.empty()) field("error_code", r.error_code);
  if (r.upstream_ms >= 0) {
    std::snprintf(buf, sizeof buf, "%.3f", r.upstream_ms);
    number("upstream_ms", buf);
  }
  if (r.wait_ms > 0) {
    std::snprintf(buf, sizeof buf, "%.3f", r.wait_ms);
    number("wait_ms", buf);
  }
  std::snprintf(buf, sizeof buf, "%.3f", r.total_ms);
  number("total_ms", buf);
  number("bytes_in", std::to_string(r.bytes_in));
  number("bytes_out", std::to_string(r.bytes_out));
  out += '}';
  return out;
}

std::shared_ptr<spdlog::logger> make_access_logger() {
  auto logger = std::make_shared<spdlog::logger>(
      "access", std::make_shared<spdlog::sinks::stdout_sink_mt>());
  logger->set_pattern("%v");
  logger->flush_on(spdlog::level::info);
  return logger;
}

}  // namespace almagate
