#pragma once
// Port files: servers started on port 0 write the ports they bound as JSON,
// e.g. {"listen": 41234, "admin": 41235}.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>

#include <boost/json/value.hpp>

namespace almagate::test {

// The file parsed as JSON, or nullopt while it is missing, empty or half written.
std::optional<boost::json::value> try_read_json_file(const std::filesystem::path& path);

// The port under `key` in the JSON object in `path`, or nullopt if not there (yet).
// A bare number in the file is accepted for any key.
std::optional<std::uint16_t> try_read_port(const std::filesystem::path& path,
                                           std::string_view key);

// Waits until `path` holds a JSON object with an integer port under `key`, and returns it.
// Throws std::runtime_error naming the file and key at the deadline, or as soon as
// `still_starting` (if given) returns false (the server died).
std::uint16_t read_port_file(const std::filesystem::path& path, std::string_view key,
                             std::chrono::milliseconds timeout,
                             const std::function<bool()>& still_starting = {});

}  // namespace almagate::test
