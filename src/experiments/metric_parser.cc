#include "experiments/metric_parser.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>

#include "experiments/experiment_spec.h"

namespace corral::experiments {

Result<MetricLineParser> MetricLineParser::Create(const std::vector<std::string>& filters) {
  MetricLineParser p;
  std::vector<std::string> sources = filters;
  if (sources.empty()) sources.push_back(kDefaultMetricsFilter);
  for (size_t i = 0; i < sources.size(); ++i) {
    try {
      p.filters_.emplace_back(sources[i]);
    } catch (const std::regex_error& e) {
      return InvalidArgument("metricsFilters[" + std::to_string(i) + "]",
                             std::string("invalid regular expression: ") + e.what());
    }
    if (p.filters_.back().mark_count() < 2)
      return InvalidArgument("metricsFilters[" + std::to_string(i) + "]",
                             "needs two groups: the metric's name and its value");
  }
  return p;
}

std::vector<ParsedMetric> MetricLineParser::Parse(std::string_view line) const {
  std::vector<ParsedMetric> out;
  std::string text(line);
  for (const auto& re : filters_) {
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
         ++it) {
      const std::string name = (*it)[1].str();
      const std::string value = (*it)[2].str();
      if (name.empty() || value.empty()) continue;
      char* end = nullptr;
      double v = std::strtod(value.c_str(), &end);
      if (!end || *end != '\0') continue;  // "=" followed by something that is not a number
      out.push_back({name, v});
    }
  }
  return out;
}

std::vector<ParsedMetric> ParseJsonMetricLine(std::string_view line) {
  std::vector<ParsedMetric> out;
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto& v = it.value();
    if (v.is_number() && !v.is_boolean()) {
      out.push_back({it.key(), v.get<double>()});
    } else if (v.is_string()) {
      const std::string& text = v.get_ref<const std::string&>();
      char* end = nullptr;
      double d = std::strtod(text.c_str(), &end);
      if (!text.empty() && end && *end == '\0') out.push_back({it.key(), d});
    }
  }
  return out;
}

std::vector<std::string> TakeLines(std::string& buffer) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n', start)) {
    std::string line = buffer.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = nl + 1;
  }
  buffer.erase(0, start);
  return lines;
}

}  // namespace corral::experiments
