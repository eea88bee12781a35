#include "tests/support/port_file.hpp"

#include <boost/json/parse.hpp>

#include <stdexcept>
#include <string>

#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace almagate::test {
namespace {

std::optional<std::uint16_t> as_port(const boost::json::value& v) {
  if (!v.is_number()) return std::nullopt;
  boost::system::error_code ec;
  const auto n = v.to_number<std::int64_t>(ec);
  if (ec || n <= 0 || n > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(n);
}

}  // namespace

std::optional<boost::json::value> try_read_json_file(const std::filesystem::path& path) {
  const std::string text = read_text_file(path);
  if (text.empty()) return std::nullopt;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) return std::nullopt;
  return v;
}

std::optional<std::uint16_t> try_read_port(const std::filesystem::path& path,
                                           std::string_view key) {
  const auto v = try_read_json_file(path);
  if (!v) return std::nullopt;
  if (v->is_number()) return as_port(*v);
  if (!v->is_object()) return std::nullopt;
  const auto* found = v->as_object().if_contains(key);
  if (found == nullptr) return std::nullopt;
  return as_port(*found);
}

std::uint16_t read_port_file(const std::filesystem::path& path, std::string_view key,
                             std::chrono::milliseconds timeout,
                             const std::function<bool()>& still_starting) {
  std::optional<std::uint16_t> port;
  bool died = false;
  wait_for(
      [&] {
        port = try_read_port(path, key);
        if (port) return true;
        died = still_starting && !still_starting();
        return died;
      },
      timeout);
  if (port) return *port;
  throw std::runtime_error("no port \"" + std::string(key) + "\" in " + path.string() +
                           (died ? ": the server exited" : ": timed out"));
}

}  // namespace almagate::test
