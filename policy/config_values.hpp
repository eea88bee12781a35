#pragma once
// Parsers for the config's text values: no YAML, no files, just strings in and values out.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "policy/config.hpp"

namespace almagate::config_values {

// A parsed value, or why it was refused (never echoes secrets: none pass through here).
template <class T>
struct parsed {
  std::optional<T> value;
  std::string error;
};

// "host:port" or "[v6]:port"; port 0 = any free port.
parsed<listen_address> parse_listen_address(std::string_view text);

// "http(s)://host[:port][/]"; the default port follows the scheme.
parsed<upstream_url> parse_upstream_url(std::string_view text);

// "memory" or "redis://host[:port][/db]". Returns why it is refused, or "".
std::string check_store_url(std::string_view text);

// "HH:MM", 00:00 to 23:59.
std::optional<std::chrono::minutes> parse_time_of_day(std::string_view text);

// [a-z0-9-]+: environment and pool names, which appear in paths and store keys.
bool is_simple_name(std::string_view name);

// [A-Za-z0-9._-]+: key and client names, which appear in logs and store keys.
bool is_identifier(std::string_view name);

// [A-Za-z_][A-Za-z0-9_]*: an environment variable name.
bool is_env_var_name(std::string_view name);

// 64 hex digits, either case; returns them lower-case.
std::optional<std::string> parse_sha256_hex(std::string_view text);

}  // namespace almagate::config_values
