#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corral::metrics {

// The Prometheus text exposition format (version 0.0.4), written from plain values gathered for
// one scrape. Series are built afresh on every scrape, so a series whose object went away (a
// finished trial, a removed queue) simply stops being written.

enum class MetricType { kCounter, kGauge, kHistogram };

using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
  std::string suffix;  // "" for counters and gauges; "_bucket", "_sum", "_count" for histograms
  Labels labels;
  double value = 0;
};

// A histogram's counts: counts[i] observations fell in (bounds[i-1], bounds[i]], the last entry
// counting those above every bound (so counts has bounds.size() + 1 entries).
struct HistogramData {
  std::vector<double> bounds;
  std::vector<uint64_t> counts;
  double sum = 0;
  uint64_t count = 0;
};

struct Family {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<Sample> samples;

  Family(std::string name, std::string help, MetricType type)
      : name(std::move(name)), help(std::move(help)), type(type) {}
  void Add(Labels labels, double value) { samples.push_back({"", std::move(labels), value}); }
  // Adds the _bucket (cumulative, with le), _sum and _count samples of one histogram series.
  void AddHistogram(const Labels& labels, const HistogramData& data);
};

// Names: [a-zA-Z_:][a-zA-Z0-9_:]* for metrics, [a-zA-Z_][a-zA-Z0-9_]* for labels (no "__" prefix).
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);

// Backslash, double quote and line feed escaped; invalid UTF-8 replaced by U+FFFD, since the
// format is UTF-8 and values may come from users (queue, node and metric names).
std::string EscapeLabelValue(std::string_view value);
// Backslash and line feed escaped.
std::string EscapeHelp(std::string_view help);
// Shortest text that reads back as the same double; +Inf, -Inf and NaN as Prometheus spells them.
std::string FormatValue(double value);

// Appends one family: # HELP, # TYPE, then its samples. A family with an invalid name, or a sample
// with an invalid label name, is a programming error: it is skipped whole rather than written
// half, so that one bad series never makes the whole scrape unreadable.
void AppendText(const Family& family, std::string& out);
std::string RenderText(const std::vector<Family>& families);

inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace corral::metrics
