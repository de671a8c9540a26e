#include "metrics/exposition.h"

#include <charconv>
#include <cmath>

#include "common/utf8.h"

namespace corral::metrics {
namespace {

bool IsNameStart(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}

bool IsNameChar(char c, bool colon) { return IsNameStart(c, colon) || (c >= '0' && c <= '9'); }

bool IsValidName(std::string_view name, bool colon) {
  if (name.empty() || !IsNameStart(name[0], colon)) return false;
  for (char c : name)
    if (!IsNameChar(c, colon)) return false;
  return true;
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

bool LabelsValid(const Labels& labels) {
  for (const auto& [name, value] : labels)
    if (!IsValidLabelName(name)) return false;
  return true;
}

}  // namespace

bool IsValidMetricName(std::string_view name) { return IsValidName(name, /*colon=*/true); }

bool IsValidLabelName(std::string_view name) {
  return IsValidName(name, /*colon=*/false) && name.substr(0, 2) != "__";
}

std::string EscapeLabelValue(std::string_view value) {
  std::string valid = IsValidUtf8(value) ? std::string(value) : ToValidUtf8(value);
  std::string out;
  out.reserve(valid.size());
  for (char c : valid) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string valid = IsValidUtf8(help) ? std::string(help) : ToValidUtf8(help);
  std::string out;
  out.reserve(valid.size());
  for (char c : valid) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

void Family::AddHistogram(const Labels& labels, const HistogramData& data) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= data.bounds.size(); ++i) {
    cumulative += i < data.counts.size() ? data.counts[i] : 0;
    Labels with_le = labels;
    with_le.emplace_back("le", i < data.bounds.size() ? FormatValue(data.bounds[i]) : "+Inf");
    samples.push_back({"_bucket", std::move(with_le), static_cast<double>(cumulative)});
  }
  samples.push_back({"_sum", labels, data.sum});
  samples.push_back({"_count", labels, static_cast<double>(data.count)});
}

void AppendText(const Family& family, std::string& out) {
  if (!IsValidMetricName(family.name)) return;
  for (const auto& s : family.samples)
    if (!LabelsValid(s.labels)) return;
  out += "# HELP " + family.name + " " + EscapeHelp(family.help) + "\n";
  out += "# TYPE " + family.name + " " + TypeName(family.type) + "\n";
  for (const auto& s : family.samples) {
    out += family.name;
    out += s.suffix;
    if (!s.labels.empty()) {
      out += '{';
      bool first = true;
      for (const auto& [name, value] : s.labels) {
        if (!first) out += ',';
        first = false;
        out += name;
        out += "=\"";
        out += EscapeLabelValue(value);
        out += '"';
      }
      out += '}';
    }
    out += ' ';
    out += FormatValue(s.value);
    out += '\n';
  }
}

std::string RenderText(const std::vector<Family>& families) {
  std::string out;
  out.reserve(families.size() * 256);
  for (const auto& f : families) AppendText(f, out);
  return out;
}

}  // namespace corral::metrics
