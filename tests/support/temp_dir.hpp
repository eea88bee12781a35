#pragma once
// A unique directory under /tmp for one test, removed with everything in it at the end.
// Set ALMAGATE_KEEP_TEST_DIRS=1 to keep it for a post-mortem.

#include <filesystem>
#include <string>
#include <string_view>

namespace almagate::test {

class temp_dir {
 public:
  explicit temp_dir(std::string_view prefix = "almagate-test");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  temp_dir(temp_dir&& other) noexcept;
  temp_dir& operator=(temp_dir&& other) noexcept;

  const std::filesystem::path& path() const { return path_; }
  // path() / name, whether or not it exists.
  std::filesystem::path file(std::string_view name) const { return path_ / name; }
  // Writes (replaces) path() / name and returns its full path. Throws on I/O failure.
  std::filesystem::path write_file(std::string_view name, std::string_view text) const;

 private:
  void remove() noexcept;
  std::filesystem::path path_;
};

// The whole file, or "" if it cannot be read.
std::string read_text_file(const std::filesystem::path& path);

}  // namespace almagate::test
