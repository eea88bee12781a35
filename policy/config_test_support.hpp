#pragma once
// Helpers for the config tests: a private temp directory, a valid base config, and a way
// to find the line a piece of YAML is on.

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "policy/config.hpp"

namespace almagate::config_test {

// A directory under /tmp unique to this process and object, removed at the end.
class temp_dir {
 public:
  temp_dir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("almagate-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  std::string write(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

inline const std::string token_a(64, 'a');
inline const std::string token_b(64, 'b');

// Valid: two environments, one pool, three keys, two clients. Tests edit it with `replaced`.
inline std::string base_yaml() {
  return R"(listen: "127.0.0.1:0"
store: memory
pools:
  institution:
    daily_limit: 300000
    reset: { time: "02:30", timezone: "America/New_York" }
    reserve: { standard: 30000, batch: 90000 }
    per_second: 25
    max_wait: 10s
environments:
  production:
    upstream: "https://api-na.hosted.exlibrisgroup.com/"
    default: true
    pool: institution
  sandbox:
    upstream: "http://127.0.0.1:8081"
keys:
  caiasoft-production:
    environment: production
    secret_env: ALMAGATE_TEST_KEY_CAIASOFT
    areas: { bibs: read-write, users: read }
  caiasoft-sandbox:
    environment: sandbox
    secret_file: secrets/caiasoft-sandbox.key
    areas: { bibs: read-write }
  admin-production:
    environment: production
    secret_env: ALMAGATE_TEST_KEY_ADMIN
    areas: { configuration: read-write, users: read }
clients:
  caiasoft-sync:
    description: "Accessioning sync"
    token_sha256: ")" + std::string(64, 'A') + R"("
    tier: core
    daily_quota: 60000
    per_second: 5
    access:
      production: { key: caiasoft-production, areas: { bibs: read-write, users: read } }
      sandbox: { key: caiasoft-sandbox, areas: { bibs: read } }
  nightly-jobs:
    token_sha256: ")" + token_b + R"("
    tier: batch
    configuration_write_justification: "Runs the nightly publishing job"
    access:
      production:
        key: admin-production
        areas:
          configuration: read-write
)";
}

// `text` with the first `from` replaced by `to`; fails the test if `from` is absent.
inline std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "base config lacks: " << from);
  text.replace(at, from.size(), to);
  return text;
}

// 1-based line of the first occurrence of `needle` at or after the line holding `after`.
inline int line_of(const std::string& text, const std::string& needle, const std::string& after = "") {
  const auto start = after.empty() ? 0 : text.find(after);
  const auto at = text.find(needle, start == std::string::npos ? 0 : start);
  REQUIRE_MESSAGE(at != std::string::npos, "text lacks: " << needle);
  int line = 1;
  for (std::size_t i = 0; i < at; ++i)
    if (text[i] == '\n') ++line;
  return line;
}

// The config_error message from loading `yaml`; fails the test if it loads.
inline std::string load_error(const temp_dir& dir, const std::string& yaml,
                              const load_options& options = {.load_secrets = false}) {
  const std::string path = dir.write("almagate.yaml", yaml);
  try {
    load_config(path, options);
  } catch (const config_error& e) {
    return e.what();
  }
  FAIL("config loaded, expected a config_error");
  return {};
}

// "<path>:<line>: <field>: "
inline std::string where(const temp_dir& dir, int line, const std::string& field) {
  return (dir.path() / "almagate.yaml").string() + ":" + std::to_string(line) + ": " + field + ": ";
}

}  // namespace almagate::config_test
