#pragma once
// Reading YAML for the config: every value keeps its field path and line, so each refusal
// names the file, the line and the field.

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace almagate::config_yaml {

// One value in the document: its node, the dotted path that led to it and where it is.
class field {
 public:
  field(YAML::Node node, std::string path, const std::string* file, YAML::Mark mark);

  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }
  const std::string& file() const { return *file_; }
  const YAML::Mark& mark() const { return mark_; }
  int line() const;  // 1-based

  // Throws config_error "file:line: path: message".
  [[noreturn]] void fail(std::string_view message) const;

  // Typed reads; each fails with the field named when the value has another type.
  std::string as_string() const;
  std::int64_t as_int(std::int64_t min, std::int64_t max) const;
  double as_double() const;
  bool as_bool() const;
  std::chrono::milliseconds as_duration() const;
  std::vector<field> as_sequence() const;

  // The entries of a map whose keys are names chosen by the user (pools, clients, areas).
  // Refuses a non-map and duplicate keys.
  std::vector<std::pair<std::string, field>> entries() const;

 private:
  std::string scalar(std::string_view expected) const;

  YAML::Node node_;
  std::string path_;
  const std::string* file_;
  YAML::Mark mark_;
};

// A map with a fixed set of fields: refuses fields outside `allowed` (typos included).
class fixed_map {
 public:
  fixed_map(const field& self, std::initializer_list<std::string_view> allowed);

  const field& self() const { return self_; }
  // A null value (`tls:` with nothing after it) counts as absent.
  std::optional<field> get(std::string_view name) const;
  field require(std::string_view name) const;

 private:
  field self_;
  std::vector<std::pair<std::string, field>> fields_;
};

std::string join_path(std::string_view parent, std::string_view child);

// Quotes a value for a message: "read-write".
std::string in_quotes(std::string_view text);

}  // namespace almagate::config_yaml
