#include "proxy/admin_table.hpp"

#include <algorithm>

namespace almagate {

text_table::text_table(std::vector<std::string> columns) {
  for (auto& c : columns) {
    bool right = !c.empty() && c.front() == '>';
    right_.push_back(right);
    columns_.push_back(right ? c.substr(1) : std::move(c));
  }
}

void text_table::add(std::vector<std::string> row) {
  row.resize(columns_.size());
  rows_.push_back(std::move(row));
}

void text_table::print(std::ostream& out) const {
  std::vector<std::size_t> width;
  for (const auto& c : columns_) width.push_back(c.size());
  for (const auto& row : rows_)
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      std::string pad(width[i] - cells[i].size(), ' ');
      if (i) text += "  ";
      text += right_[i] ? pad + cells[i] : cells[i] + (i + 1 < cells.size() ? pad : "");
    }
    out << text << '\n';
  };
  line(columns_);
  for (const auto& row : rows_) line(row);
}

}  // namespace almagate
