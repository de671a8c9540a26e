#pragma once

#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace corral::experiments {

struct ParsedMetric {
  std::string name;
  double value = 0;
};

// Finds `name=value` pairs in lines of a trial's output, as Katib's StdOut collector does: each
// filter is a regex whose first group is the name and second the value; every match counts.
class MetricLineParser {
 public:
  // Empty `filters`: Katib's default filter.
  static Result<MetricLineParser> Create(const std::vector<std::string>& filters);

  std::vector<ParsedMetric> Parse(std::string_view line) const;

 private:
  std::vector<std::regex> filters_;
};

// One line of a JSON metrics file (Katib's JSON format): an object whose members with a number,
// or a string holding a number, are metrics ({"epoch": 2, "loss": "0.31", "timestamp": "..."}).
// Anything else on the line is ignored; a line that is not an object gives nothing.
std::vector<ParsedMetric> ParseJsonMetricLine(std::string_view line);

// Splits complete lines off the front of `buffer` (which keeps any unfinished last line).
std::vector<std::string> TakeLines(std::string& buffer);

}  // namespace corral::experiments
