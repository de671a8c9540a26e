#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace corral::cli {

// A plain-text table in the kubectl habit: upper-case headers, columns left-aligned and separated
// by three spaces, no borders, no trailing spaces. Widths count UTF-8 code points, not bytes.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // A row with fewer cells than headers is padded with empty cells; extra cells are an error of
  // the caller and are dropped.
  void AddRow(std::vector<std::string> cells);

  bool empty() const { return rows_.empty(); }
  void Render(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Display width of a UTF-8 string, counted in code points.
size_t DisplayWidth(const std::string& text);

// Cuts `text` to at most `max_width` code points, ending in "…" when it was cut.
std::string Truncate(const std::string& text, size_t max_width);

}  // namespace corral::cli
