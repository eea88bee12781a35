#include "proxy/access_log.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <bit>
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
// A line is written through a pointer into room reserved for its longest form, then trimmed
// to what was written: one resize a line, instead of a capacity check and a copy a piece.
// Room for all but the escaped texts: keys and quotes (202 bytes), the time (31 at most, but
// copied as 64), status, three durations and two byte counts (101 at most), and the 8 bytes
// that a word copy may write past the end of a text.
constexpr std::size_t fixed_room = 512;
// The longest escape of a byte: "\u001f".
constexpr std::size_t room_per_text_byte = 6;

template <std::size_t N>
char* put(char* out, const char (&literal)[N]) {
  std::memcpy(out, literal, N - 1);
  return out + N - 1;
}

// The time of a line, to the millisecond; the date and second part is formatted once a second.
char* put_utc_now(char* out) {
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
  // All of it: a copy of a fixed size costs less than one of the exact size.
  std::memcpy(out, cached, sizeof cached);
  out += cached_size;
  const auto m = static_cast<int>(ms.count());
  out[0] = static_cast<char>('0' + m / 100);
  out[1] = static_cast<char>('0' + m / 10 % 10);
  out[2] = static_cast<char>('0' + m % 10);
  out[3] = 'Z';
  return out + 4;
}

char* put_number(char* out, std::uint64_t value) {
  return std::to_chars(out, out + 20, value).ptr;
}

// "12.346": milliseconds to three decimals, by integer arithmetic (to_chars of a double with a
// precision costs more than the rest of the line).
char* put_millis(char* out, double ms) {
  if (!(ms >= 0) || ms > 9.0e12) {  // negative, NaN or absurd: not a duration we measured
    *out = '0';
    return out + 1;
  }
  const auto thousandths = static_cast<std::uint64_t>(ms * 1000.0 + 0.5);
  out = put_number(out, thousandths / 1000);
  const auto frac = static_cast<unsigned>(thousandths % 1000);
  out[0] = '.';
  out[1] = static_cast<char>('0' + frac / 100);
  out[2] = static_cast<char>('0' + frac / 10 % 10);
  out[3] = static_cast<char>('0' + frac % 10);
  return out + 4;
}

// Whether one of eight bytes needs an escape: below 0x20, '"' or '\\'. The subtractions set
// the high bit of each such byte (a borrow may set it in later bytes too, never without one);
// where they set it in a byte of 0x80 and up, ~word clears it. So "none" is exact.
bool word_needs_json_escape(std::uint64_t word) {
  constexpr std::uint64_t ones = 0x0101010101010101u;
  constexpr std::uint64_t highs = 0x8080808080808080u;
  const std::uint64_t below_space = word - ones * 0x20;
  const std::uint64_t quote = (word ^ (ones * '"')) - ones;
  const std::uint64_t backslash = (word ^ (ones * '\\')) - ones;
  return ((below_space | quote | backslash) & ~word & highs) != 0;
}

// For each byte, what follows the backslash of its escape, or 0 when it goes as it is.
constexpr auto json_escapes = [] {
  std::array<char, 256> escapes{};
  for (std::size_t c = 0; c < 0x20; ++c) escapes[c] = 'u';
  escapes['"'] = '"';
  escapes['\\'] = '\\';
  escapes['\n'] = 'n';
  escapes['\r'] = 'r';
  escapes['\t'] = 't';
  return escapes;
}();

char* put_json_escaped_byte(char* out, char c) {
  const auto u = static_cast<unsigned char>(c);
  const char escape = json_escapes[u];
  if (escape == 0) {
    *out = c;
    return out + 1;
  }
  out[0] = '\\';
  out[1] = escape;
  if (escape != 'u') return out + 2;
  constexpr char hex[] = "0123456789abcdef";
  out[2] = '0';
  out[3] = '0';
  out[4] = hex[u >> 4];
  out[5] = hex[u & 0xf];
  return out + 6;
}

// Byte by byte, for a word holding a byte to escape; a call, to keep the inlined scan short.
[[gnu::noinline]] char* put_json_escaped_bytes(char* out, const char* in, std::size_t size) {
  for (const char* end = in + size; in != end; ++in) out = put_json_escaped_byte(out, *in);
  return out;
}

// The 1 to 7 bytes at `in` as the low bytes of a word, the rest spaces (which need no escape),
// without a call to memcpy: two overlapping loads of 4 bytes, or three of one.
std::uint64_t load_short(const char* in, std::size_t size) {
  std::uint64_t word;
  if (size >= 4) {
    std::uint32_t low, high;
    std::memcpy(&low, in, sizeof low);
    std::memcpy(&high, in + size - 4, sizeof high);
    word = low | (std::uint64_t{high} << (8 * (size - 4)));
  } else {
    auto byte = [in](std::size_t i) { return std::uint64_t{static_cast<unsigned char>(in[i])}; };
    word = byte(0) | byte(size / 2) << (8 * (size / 2)) | byte(size - 1) << (8 * (size - 1));
  }
  return word | (0x2020202020202020u << (8 * size));
}

// The inside of a JSON string: the caller writes the quotes. Eight bytes at a time, copied as
// a word while none needs an escape, then the last 1 to 7 as one word padded with spaces; a
// word with a byte to escape goes byte by byte.
// Inlined: a call a field cost more than the scan of a short one.
[[gnu::always_inline]] inline char* put_json_escaped(char* out, std::string_view text) {
  const char* in = text.data();
  const char* const end = in + text.size();
  for (; end - in >= 8; in += 8) {
    std::uint64_t word;
    std::memcpy(&word, in, sizeof word);
    if (word_needs_json_escape(word)) {
      out = put_json_escaped_bytes(out, in, sizeof word);
    } else {
      std::memcpy(out, &word, sizeof word);
      out += sizeof word;
    }
  }
  if (in == end) return out;
  const auto left = static_cast<std::size_t>(end - in);
  const std::uint64_t word = load_short(in, left);
  // Stored as it is only where the low bytes of a word come first in memory.
  if (std::endian::native == std::endian::little && !word_needs_json_escape(word)) {
    std::memcpy(out, &word, sizeof word);
    return out + left;
  }
  return put_json_escaped_bytes(out, in, left);
}

// Each literal closes the value before it and opens the next one, quotes included.
char* put_access_line(char* out, const access_record& r) {
  out = put(out, R"({"time":")");
  out = put_utc_now(out);
  static constexpr std::pair<std::string_view, std::string_view access_record::*> texts[] = {
      {R"(","request_id":")", &access_record::request_id},
      {R"(","client":")", &access_record::client},
      {R"(","environment":")", &access_record::environment},
      {R"(","area":")", &access_record::area},
      {R"(","access":")", &access_record::access},
      {R"(","method":")", &access_record::method},
      {R"(","path":")", &access_record::path}};
  for (const auto& [key, field] : texts) {
    std::memcpy(out, key.data(), key.size());
    out = put_json_escaped(out + key.size(), r.*field);
  }
  out = put(out, R"(","status":)");
  out = put_number(out, r.status);
  out = put(out, R"(,"outcome":")");
  out = put_json_escaped(out, r.outcome);
  if (!r.error_code.empty()) {
    out = put(out, R"(","error_code":")");
    out = put_json_escaped(out, r.error_code);
  }
  out = put(out, R"(")");
  if (r.upstream_ms >= 0) {
    out = put(out, R"(,"upstream_ms":)");
    out = put_millis(out, r.upstream_ms);
  }
  if (r.wait_ms > 0) {
    out = put(out, R"(,"wait_ms":)");
    out = put_millis(out, r.wait_ms);
  }
  out = put(out, R"(,"total_ms":)");
  out = put_millis(out, r.total_ms);
  out = put(out, R"(,"bytes_in":)");
  out = put_number(out, r.bytes_in);
  out = put(out, R"(,"bytes_out":)");
  out = put_number(out, r.bytes_out);
  return put(out, "}");
}

void append_access_line(std::string& out, const access_record& r) {
  const std::size_t text_bytes = r.request_id.size() + r.client.size() + r.environment.size() +
                                 r.area.size() + r.access.size() + r.method.size() +
                                 r.path.size() + r.outcome.size() + r.error_code.size();
  const std::size_t start = out.size();
  out.resize(start + fixed_room + room_per_text_byte * text_bytes);
  char* end = put_access_line(out.data() + start, r);
  out.resize(static_cast<std::size_t>(end - out.data()));
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
}  // namespace

std::string format_access_line(const access_record& record) {
  std::string out;
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
