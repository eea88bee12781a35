#pragma once
// Plain-text tables for the command line: columns padded to their widest cell, numbers right.

#include <ostream>
#include <string>
#include <vector>

namespace almagate {

class text_table {
 public:
  // A column whose name starts with '>' is right-aligned (the '>' is not printed).
  explicit text_table(std::vector<std::string> columns);

  void add(std::vector<std::string> row);
  bool empty() const { return rows_.empty(); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> columns_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace almagate
