#pragma once
// For the simple_request and simple_response tests: what a header means, to compare the
// recognisers' output with the Beast path's, which places a repeated field beside the first
// of its name where the recognisers keep the sender's order.

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace almagate::test {

// A header's fields by name (lower case), each name's values in their order.
inline std::vector<std::pair<std::string, std::string>> fields_by_name(std::string_view header) {
  std::vector<std::pair<std::string, std::string>> fields;
  std::size_t at = header.find("\r\n") + 2;
  while (header.compare(at, 2, "\r\n") != 0) {
    auto colon = header.find(':', at), end = header.find("\r\n", at);
    std::string name(header.substr(at, colon - at));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    fields.emplace_back(name, header.substr(colon + 2, end - colon - 2));
    at = end + 2;
  }
  std::stable_sort(fields.begin(), fields.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return fields;
}

inline bool has_repeated_names(std::string_view header) {
  auto fields = fields_by_name(header);
  return std::adjacent_find(fields.begin(), fields.end(), [](const auto& a, const auto& b) {
           return a.first == b.first;
         }) != fields.end();
}

}  // namespace almagate::test
