#include "proxy/access_log.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace almagate {

namespace {
// The time of a line, to the millisecond; the date and second part is formatted once a second.
void append_utc_now(std::string& out) {
  thread_local std::time_t cached_second = -1;
  thread_local char cached[64];  // "YYYY-MM-DDTHH:MM:SS."
  thread_local std::size_t cached_size = 0;
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  if (secs != cached_second) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_size = std::strlen(cached);
    cached_second = secs;
  }
  out.append(cached, cached_size);
  auto m = static_cast<int>(ms.count());
  const char millis[] = {static_cast<char>('0' + m / 100), static_cast<char>('0' + m / 10 % 10),
                         static_cast<char>('0' + m % 10), 'Z'};
  out.append(millis, sizeof millis);
}

template <class T>
void append_number(std::string& out, T value) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, static_cast<std::size_t>(end - buf));
}

// "12.346": milliseconds to three decimals, by integer arithmetic (to_chars of a double with a
// precision costs more than the rest of the line).
void append_millis(std::string& out, double ms) {
  if (!(ms >= 0) || ms > 9.0e12) {  // negative, NaN or absurd: not a duration we measured
    out += '0';
    return;
  }
  const auto thousandths = static_cast<std::uint64_t>(ms * 1000.0 + 0.5);
  char buf[32];  // formatted here and appended once; to_chars leaves 4 bytes for ".mmm"
  char* end = std::to_chars(buf, buf + sizeof buf - 4, thousandths / 1000).ptr;
  const auto frac = static_cast<unsigned>(thousandths % 1000);
  *end++ = '.';
  *end++ = static_cast<char>('0' + frac / 100);
  *end++ = static_cast<char>('0' + frac / 10 % 10);
  *end++ = static_cast<char>('0' + frac % 10);
  out.append(buf, static_cast<std::size_t>(end - buf));
}

// The lines one thread has gathered, written when its event loop gets to the posted flush.
constexpr std::size_t flush_at_bytes = 64 * 1024;

void write_fd(int fd, const std::string& data) {
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // stdout gone: the lines are dropped, the gateway goes on
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

// Writes are combined: one thread writes at a time (whole batches, so lines never interleave),
// and a thread that finds another writing hands its batch over and goes on; the writer writes
// what was handed over before it is done. No event loop sleeps on another's write: a loop
// that did (std::mutex) was seen descheduled for milliseconds on a busy machine.
struct combined_writer {
  std::mutex writing;                // held by the thread writing
  std::atomic_flag handing = ATOMIC_FLAG_INIT;  // guards `handed` (held for a move, not a write)
  std::vector<std::pair<int, std::string>> handed;
  std::size_t handed_bytes = 0;
  // Beyond this, a thread waits for the writer instead (the log's reader is not keeping up).
  static constexpr std::size_t most_handed = 4 * 1024 * 1024;

  struct hand_guard {
    std::atomic_flag& f;
    explicit hand_guard(std::atomic_flag& flag) : f(flag) {
      // Held for a move; should its holder be preempted meanwhile, let it run.
      while (f.test_and_set(std::memory_order_acquire)) std::this_thread::yield();
    }
    ~hand_guard() { f.clear(std::memory_order_release); }
  };

  void submit(int fd, std::string& data) {
    if (data.empty()) return;
    std::unique_lock lock(writing, std::try_to_lock);
    if (!lock && hand_over(fd, data)) {
      // Whoever holds the lock writes it, unless it let go meanwhile: then this thread does.
      if (!lock.try_lock()) return;
    } else if (!lock) {
      lock.lock();
    }
    write_fd(fd, data);
    data.clear();
    for (;;) {
      write_handed();
      lock.unlock();
      // A batch handed over after the last look, while this thread still held the lock, is
      // this thread's to write: its owner saw the lock taken and went on.
      if (nothing_handed() || !lock.try_lock()) return;
    }
  }

  bool hand_over(int fd, std::string& data) {
    hand_guard g(handing);
    if (handed_bytes + data.size() > most_handed) return false;
    handed_bytes += data.size();
    handed.emplace_back(fd, std::move(data));
    data.clear();
    return true;
  }

  bool nothing_handed() {
    hand_guard g(handing);
    return handed.empty();
  }

  void write_handed() {  // with `writing` held
    for (;;) {
      std::vector<std::pair<int, std::string>> batch;
      {
        hand_guard g(handing);
        batch.swap(handed);
        handed_bytes = 0;
      }
      if (batch.empty()) return;
      for (const auto& [fd, data] : batch) write_fd(fd, data);
    }
  }
};

combined_writer& writer() {
  static combined_writer w;
  return w;
}

void write_all(int fd, std::string& data) { writer().submit(fd, data); }

struct thread_lines {
  std::string data;
  int fd = 1;
  bool flush_posted = false;
  ~thread_lines() { write_all(fd, data); }
};
thread_local thread_lines lines;

bool needs_json_escape(char c) {
  return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

// Whether one of eight bytes needs an escape: a byte below 0x20, a '"' or a '\\'. Each test
// sets the high bit of a byte only when some byte of the word matches, so "none" is exact.
bool word_needs_json_escape(std::uint64_t word) {
  constexpr std::uint64_t ones = 0x0101010101010101u;
  constexpr std::uint64_t highs = 0x8080808080808080u;
  const std::uint64_t quotes = word ^ (ones * '"');
  const std::uint64_t backslashes = word ^ (ones * '\\');
  const std::uint64_t below_space = (word - ones * 0x20) & ~word;
  const std::uint64_t is_quote = (quotes - ones) & ~quotes;
  const std::uint64_t is_backslash = (backslashes - ones) & ~backslashes;
  return ((below_space | is_quote | is_backslash) & highs) != 0;
}

// The index of the first byte at or after `i` that needs an escape, or text.size(); scans
// eight bytes at a time while none does.
std::size_t next_json_escape(std::string_view text, std::size_t i) {
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, sizeof word);
    if (word_needs_json_escape(word)) break;
  }
  while (i < text.size() && !needs_json_escape(text[i])) ++i;
  return i;
}

// The inside of a JSON string: the caller writes the quotes.
void append_json_escaped(std::string& out, std::string_view text) {
  using namespace std::string_view_literals;
  std::size_t run = 0;  // start of the characters not yet copied: copied in runs, not one by one
  for (auto i = next_json_escape(text, 0); i < text.size(); i = next_json_escape(text, run)) {
    const char c = text[i];
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""sv; break;
      case '\\': out += "\\\\"sv; break;
      case '\n': out += "\\n"sv; break;
      case '\r': out += "\\r"sv; break;
      case '\t': out += "\\t"sv; break;
      default: {
        constexpr char hex[] = "0123456789abcdef";
        const auto u = static_cast<unsigned char>(c);
        const char escape[] = {'\\', 'u', '0', '0', hex[u >> 4], hex[u & 0xf]};
        out.append(escape, sizeof escape);
      }
    }
  }
  out.append(text.data() + run, text.size() - run);
}

// Each literal closes the value before it and opens the next one, quotes included.
void append_access_line(std::string& out, const access_record& r) {
  using namespace std::string_view_literals;
  out += R"({"time":")"sv;
  append_utc_now(out);
  static constexpr std::pair<std::string_view, std::string_view access_record::*> texts[] = {
      {R"(","request_id":")", &access_record::request_id},
      {R"(","client":")", &access_record::client},
      {R"(","environment":")", &access_record::environment},
      {R"(","area":")", &access_record::area},
      {R"(","access":")", &access_record::access},
      {R"(","method":")", &access_record::method},
      {R"(","path":")", &access_record::path}};
  for (const auto& [key, field] : texts) {
    out += key;
    append_json_escaped(out, r.*field);
  }
  out += R"(","status":)"sv;
  append_number(out, r.status);
  out += R"(,"outcome":")"sv;
  append_json_escaped(out, r.outcome);
  if (!r.error_code.empty()) {
    out += R"(","error_code":")"sv;
    append_json_escaped(out, r.error_code);
  }
  out += '"';
  if (r.upstream_ms >= 0) {
    out += R"(,"upstream_ms":)"sv;
    append_millis(out, r.upstream_ms);
  }
  if (r.wait_ms > 0) {
    out += R"(,"wait_ms":)"sv;
    append_millis(out, r.wait_ms);
  }
  out += R"(,"total_ms":)"sv;
  append_millis(out, r.total_ms);
  out += R"(,"bytes_in":)"sv;
  append_number(out, r.bytes_in);
  out += R"(,"bytes_out":)"sv;
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
