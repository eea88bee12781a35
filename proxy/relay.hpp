#pragma once
// Streams a message body from a parser to a serializer in bounded chunks, never holding it whole
// (the shape of Beast's http_relay example, as a coroutine).

#include <memory>
#include <vector>
#include <chrono>
#include <cstdint>

#include "proxy/direct_io.hpp"
#include "proxy/io.hpp"
#include "proxy/wire.hpp"

namespace almagate {

inline constexpr std::size_t relay_chunk_bytes = 16 * 1024;

// The relay's piece buffer, taken from a per-thread free list and given back to it. Held in
// the coroutine frame, 16 KiB would make the frame too large for Asio's recycling of frames,
// and every call would allocate and free it. At most 64 free buffers (1 MiB) stay per thread.
class relay_chunk {
 public:
  relay_chunk() {
    auto& list = free_list();
    if (list.empty()) {
      data_ = std::make_unique<char[]>(relay_chunk_bytes);
    } else {
      data_ = std::move(list.back());
      list.pop_back();
    }
  }
  ~relay_chunk() {
    auto& list = free_list();
    if (data_ && list.size() < 64) list.push_back(std::move(data_));
  }
  relay_chunk(const relay_chunk&) = delete;
  relay_chunk& operator=(const relay_chunk&) = delete;

  char* data() { return data_.get(); }
  static constexpr std::size_t size() { return relay_chunk_bytes; }

 private:
  static std::vector<std::unique_ptr<char[]>>& free_list() {
    thread_local std::vector<std::unique_ptr<char[]>> list;
    return list;
  }
  std::unique_ptr<char[]> data_;
};

struct relay_result {
  error_code read_ec;   // from the side being read
  error_code write_ec;  // from the side being written
  std::uint64_t body_bytes = 0;
  bool header_sent = false;  // false: nothing reached `output` (a failed first read)
  explicit operator bool() const { return !read_ec && !write_ec; }
};

// Writes the header of `parser`'s message to `output`, then the body as it arrives from
// `input`. The header goes out with the body's first piece in one write (for a small message:
// the whole of it in one system call). Each read and write has its own deadline, kept by the
// stream's watch.
template <bool is_request, class Input, class Output>
awaitable<relay_result> relay_message(Input& input, deadline& input_watch,
                                      beast::flat_buffer& input_buffer,
                                      http::parser<is_request, http::buffer_body>& parser,
                                      Output& output, deadline& output_watch,
                                      std::chrono::milliseconds read_timeout,
                                      std::chrono::milliseconds write_timeout) {
  relay_result result;
  if (parser.is_done() && !parser.get().chunked()) {
    // No body: the header alone, formatted by hand (see wire.hpp).
    const std::string head = wire_header(parser.get());
    if (auto wec = co_await write_all(output, output_watch, net::const_buffer(net::buffer(head)),
                                   write_timeout))
      result.write_ec = wec;
    else result.header_sent = true;
    co_return result;
  }

  auto& body = parser.get().body();
  http::serializer<is_request, http::buffer_body> serializer{parser.get()};
  relay_chunk chunk;
  while (!parser.is_done()) {
    body.data = chunk.data();
    body.size = chunk.size();
    input_watch.start(read_timeout);
    auto [rec, rn] = co_await http::async_read(input, input_buffer, parser, use_tuple);
    input_watch.stop();
    if (rec && rec != http::error::need_buffer) {
      result.read_ec = input_watch.reason(rec);
      co_return result;
    }
    std::size_t got = chunk.size() - body.size;
    result.body_bytes += got;
    body.data = got ? chunk.data() : nullptr;
    body.size = got;
    body.more = !parser.is_done();
    output_watch.start(write_timeout);
    auto [wec, wn] = co_await http::async_write(output, serializer, use_tuple);
    output_watch.stop();
    if (wec && wec != http::error::need_buffer) {
      result.write_ec = output_watch.reason(wec);
      co_return result;
    }
    result.header_sent = true;
  }
  if (!serializer.is_done()) {
    // The last (empty) piece: the chunked encoding's terminator (with the header, for a
    // chunked message that had no body at all).
    body.data = nullptr;
    body.size = 0;
    body.more = false;
    output_watch.start(write_timeout);
    auto [wec, wn] = co_await http::async_write(output, serializer, use_tuple);
    output_watch.stop();
    if (wec && wec != http::error::need_buffer) result.write_ec = output_watch.reason(wec);
    else result.header_sent = true;
  }
  co_return result;
}

}  // namespace almagate
