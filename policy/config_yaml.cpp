#include "policy/config_yaml.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "policy/config.hpp"

namespace almagate::config_yaml {

std::string join_path(std::string_view parent, std::string_view child) {
  if (parent.empty()) return std::string(child);
  std::string out(parent);
  out += '.';
  out += child;
  return out;
}

std::string in_quotes(std::string_view text) {
  std::string out = "\"";
  out += text;
  out += '"';
  return out;
}

field::field(YAML::Node node, std::string path, const std::string* file, YAML::Mark mark)
    : node_(std::move(node)), path_(std::move(path)), file_(file), mark_(mark) {}

int field::line() const { return mark_.is_null() ? 1 : mark_.line + 1; }

void field::fail(std::string_view message) const {
  std::string text = *file_ + ":" + std::to_string(line()) + ": ";
  if (!path_.empty()) text += path_ + ": ";
  text += message;
  throw config_error(text);
}

std::string field::scalar(std::string_view expected) const {
  if (!node_.IsScalar()) fail("expected " + std::string(expected));
  return node_.Scalar();
}

std::string field::as_string() const { return scalar("a string"); }

std::int64_t field::as_int(std::int64_t min, std::int64_t max) const {
  const std::string text = scalar("an integer");
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range) fail("value " + text + " is out of range");
  if (ec != std::errc{} || ptr != end || text.empty())
    fail("expected an integer, got " + in_quotes(text));
  if (value < min) fail("must be at least " + std::to_string(min) + ", got " + text);
  if (value > max) fail("must be at most " + std::to_string(max) + ", got " + text);
  return value;
}

double field::as_double() const {
  const std::string text = scalar("a number");
  double value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || text.empty() || !std::isfinite(value))
    fail("expected a number, got " + in_quotes(text));
  return value;
}

bool field::as_bool() const {
  const std::string text = scalar("true or false");
  if (text == "true") return true;
  if (text == "false") return false;
  fail("expected true or false, got " + in_quotes(text));
}

std::chrono::milliseconds field::as_duration() const {
  const std::string text = scalar("a duration such as 250ms, 10s, 5m or 1h");
  auto value = parse_duration(text);
  if (!value) fail("expected a duration such as 250ms, 10s, 5m or 1h, got " + in_quotes(text));
  return *value;
}

std::vector<field> field::as_sequence() const {
  if (!node_.IsSequence()) fail("expected a list");
  std::vector<field> out;
  std::size_t index = 0;
  for (const auto& item : node_) {
    out.emplace_back(item, path_ + "[" + std::to_string(index) + "]", file_, item.Mark());
    ++index;
  }
  return out;
}

std::vector<std::pair<std::string, field>> field::entries() const {
  if (!node_.IsMap()) fail("expected a mapping");
  std::vector<std::pair<std::string, field>> out;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const YAML::Node key = it->first;
    const field key_field(key, path_, file_, key.Mark());
    if (!key.IsScalar()) key_field.fail("field names must be plain strings");
    const std::string name = key.Scalar();
    const field value(it->second, join_path(path_, name), file_, key.Mark());
    // yaml-cpp keeps both copies of a repeated key; the second would silently win elsewhere.
    for (const auto& [seen, seen_field] : out)
      if (seen == name)
        value.fail("appears twice (first on line " + std::to_string(seen_field.line()) + ")");
    out.emplace_back(name, value);
  }
  return out;
}

fixed_map::fixed_map(const field& self, std::initializer_list<std::string_view> allowed)
    : self_(self), fields_(self.entries()) {
  for (const auto& [name, value] : fields_) {
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    std::string known;
    for (auto a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
    value.fail("unknown field (expected one of: " + known + ")");
  }
}

std::optional<field> fixed_map::get(std::string_view name) const {
  for (const auto& [n, value] : fields_)
    if (n == name) {
      if (value.node().IsNull()) return std::nullopt;
      return value;
    }
  return std::nullopt;
}

field fixed_map::require(std::string_view name) const {
  if (auto value = get(name)) return *value;
  // Point at the map that lacks the field: its own line.
  field(YAML::Node(), join_path(self_.path(), name), &self_.file(), self_.mark())
      .fail("missing required field");
}

}  // namespace almagate::config_yaml
