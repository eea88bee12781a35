#include "proxy/access_log.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace almagate {

namespace {
// The time of a line, to the millisecond; the date and second part is formatted once a second.
void append_utc_now(std::string& out) {
  thread_local std::time_t cached_second = -1;
  thread_local char cached[64];  // "YYYY-MM-DDTHH:MM:SS."
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  if (secs != cached_second) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_second = secs;
  }
  out += cached;
  auto m = static_cast<int>(ms.count());
  out += static_cast<char>('0' + m / 100);
  out += static_cast<char>('0' + m / 10 % 10);
  out += static_cast<char>('0' + m % 10);
  out += 'Z';
}

template <class T>
void append_number(std::string& out, T value) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

// "12.346": milliseconds to three decimals, by integer arithmetic (to_chars of a double with a
// precision costs more than the rest of the line).
void append_millis(std::string& out, double ms) {
  if (!(ms >= 0) || ms > 9.0e12) {  // negative, NaN or absurd: not a duration we measured
    out += '0';
    return;
  }
  const auto thousandths = static_cast<std::uint64_t>(ms * 1000.0 + 0.5);
  append_number(out, thousandths / 1000);
  const auto frac = static_cast<unsigned>(thousandths % 1000);
  out += '.';
  out += static_cast<char>('0' + frac / 100);
  out += static_cast<char>('0' + frac / 10 % 10);
  out += static_cast<char>('0' + frac % 10);
}

// The lines one thread has gathered, written when its event loop gets to the posted flush.
constexpr std::size_t flush_at_bytes = 64 * 1024;

std::mutex& write_mutex() {
  static std::mutex m;
  return m;
}

void write_all(int fd, std::string& data) {
  if (data.empty()) return;
  std::lock_guard lock(write_mutex());
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // stdout gone: the lines are dropped, the gateway goes on
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  data.clear();
}

struct thread_lines {
  std::string data;
  int fd = 1;
  bool flush_posted = false;
  ~thread_lines() { write_all(fd, data); }
};
thread_local thread_lines lines;
}  // namespace

static void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  std::size_t run = 0;  // start of the characters not yet copied: copied in runs, not one by one
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
        out += buf;
      }
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

namespace {
void append_access_line(std::string& out, const access_record& r) {
  bool first = true;
  auto key = [&out, &first](std::string_view name) {
    out += first ? "{\"" : ",\"";
    first = false;
    out += name;
    out += "\":";
  };
  auto field = [&](std::string_view name, std::string_view value) {
    key(name);
    append_json_string(out, value);
  };
  key("time");
  out += '"';
  append_utc_now(out);
  out += '"';
  field("request_id", r.request_id);
  field("client", r.client);
  field("environment", r.environment);
  field("area", r.area);
  field("access", r.access);
  field("method", r.method);
  field("path", r.path);
  key("status");
  append_number(out, r.status);
  field("outcome", r.outcome);
  if (!r.error_code.empty()) field("error_code", r.error_code);
  if (r.upstream_ms >= 0) {
    key("upstream_ms");
    append_millis(out, r.upstream_ms);
  }
  if (r.wait_ms > 0) {
    key("wait_ms");
    append_millis(out, r.wait_ms);
  }
  key("total_ms");
  append_millis(out, r.total_ms);
  key("bytes_in");
  append_number(out, r.bytes_in);
  key("bytes_out");
  append_number(out, r.bytes_out);
  out += '}';
}
}  // namespace

std::string format_access_line(const access_record& record) {
  std::string out;
  out.reserve(320);
  append_access_line(out, record);
  return out;
}

access_log::~access_log() { flush(); }

void access_log::write(net::io_context& io, const access_record& record) {
  lines.fd = fd_;
  append_access_line(lines.data, record);
  lines.data += '\n';
  if (lines.data.size() >= flush_at_bytes) {
    write_all(fd_, lines.data);
    return;
  }
  if (lines.flush_posted) return;
  lines.flush_posted = true;
  net::post(io, [this] {
    lines.flush_posted = false;
    write_all(fd_, lines.data);
  });
}

void access_log::flush() { write_all(fd_, lines.data); }

}  // namespace almagate
