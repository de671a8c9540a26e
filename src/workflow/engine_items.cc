#include <charconv>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>
#include <fmt/printf.h>

#include "workflow/engine.h"
#include "workflow/expression.h"
#include "workflow/loop_items.h"

namespace corral::workflow {

using nlohmann::json;

std::string ItemDisplay(const json& item) {
  if (item.is_string()) return item.get<std::string>();
  if (item.is_object()) {
    std::string out;
    for (auto it = item.begin(); it != item.end(); ++it) {
      if (!out.empty()) out += ",";
      out += it.key() + ":" + ToText(it.value());
    }
    return out;
  }
  return ToText(item);
}

namespace {

// A value still to be substituted: only known once the step is reached.
bool HasTag(const json& v) {
  return v.is_string() && v.get_ref<const std::string&>().find("{{") != std::string::npos;
}

Result<int64_t> SequenceNumber(const json& v, const char* field) {
  const std::string name = std::string("withSequence.") + field;
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      return InvalidArgument(name, ToText(v) + " is out of range");
    return static_cast<int64_t>(v.get<uint64_t>());
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d) || std::fabs(d) >= 9.2e18)
      return InvalidArgument(name, ToText(v) + " is out of range");
    if (std::floor(d) != d) return InvalidArgument(name, "'" + ToText(v) + "' is not an integer");
    return static_cast<int64_t>(d);
  }
  if (!v.is_string()) return InvalidArgument(name, "must be an integer");
  std::string_view s = v.get_ref<const std::string&>();
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec == std::errc::result_out_of_range)
    return InvalidArgument(name, "'" + v.get<std::string>() + "' is out of range");
  if (ec != std::errc() || end != s.data() + s.size() || s.empty())
    return InvalidArgument(name, "'" + v.get<std::string>() + "' is not an integer");
  return n;
}

Status TooManyItems(const std::string& field, int64_t count) {
  return InvalidArgument(
      field, std::to_string(count) + " items; a loop has at most " + std::to_string(kMaxLoopItems));
}

// printf-style, one integer: a width or precision beyond a line's worth would make each item as
// large as the number says.
Status CheckSequenceFormat(const json& format) {
  if (!format.is_string()) return InvalidArgument("withSequence.format", "must be a string");
  const std::string& f = format.get_ref<const std::string&>();
  if (f.size() > 256) return InvalidArgument("withSequence.format", "is longer than 256 bytes");
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') continue;
    ++i;
    if (i < f.size() && f[i] == '%') continue;
    while (i < f.size() && std::string_view("-+ #0").find(f[i]) != std::string_view::npos) ++i;
    for (int part = 0; part < 2; ++part) {
      size_t digits = i;
      while (i < f.size() && f[i] >= '0' && f[i] <= '9') ++i;
      if (i - digits > 2 || (i < f.size() && f[i] == '*'))
        return InvalidArgument("withSequence.format",
                               "'" + f + "': a width or precision is at most 99");
      if (part == 0 && i < f.size() && f[i] == '.')
        ++i;
      else
        break;
    }
  }
  return Status::Ok();
}

struct Sequence {
  int64_t start = 0;
  int64_t end = 0;
  bool empty = false;
};

// The items of a withSequence whose values are all known.
Result<Sequence> SequenceRange(const json& seq) {
  Sequence r;
  if (seq.contains("start")) {
    CORRAL_ASSIGN_OR_RETURN(r.start, SequenceNumber(seq["start"], "start"));
  }
  if (seq.contains("count")) {
    CORRAL_ASSIGN_OR_RETURN(int64_t count, SequenceNumber(seq["count"], "count"));
    if (count <= 0) {
      r.empty = true;
      return r;
    }
    if (count > kMaxLoopItems) return TooManyItems("withSequence.count", count);
    if (r.start > INT64_MAX - (count - 1))
      return InvalidArgument("withSequence.start", "too large for its count");
    r.end = r.start + count - 1;
    return r;
  }
  if (!seq.contains("end")) return InvalidArgument("withSequence", "needs count or end");
  CORRAL_ASSIGN_OR_RETURN(r.end, SequenceNumber(seq["end"], "end"));
  // Compared as unsigned so that start and end at opposite ends of int64 cannot overflow.
  const uint64_t span = r.start <= r.end
                            ? static_cast<uint64_t>(r.end) - static_cast<uint64_t>(r.start)
                            : static_cast<uint64_t>(r.start) - static_cast<uint64_t>(r.end);
  if (span >= static_cast<uint64_t>(kMaxLoopItems))
    return InvalidArgument("withSequence.end", std::to_string(r.start) + " to " +
                                                   std::to_string(r.end) + " is more than " +
                                                   std::to_string(kMaxLoopItems) + " items");
  return r;
}

Status CheckSequenceShape(const json& seq) {
  if (!seq.is_object()) return InvalidArgument("withSequence", "must be an object");
  for (auto it = seq.begin(); it != seq.end(); ++it)
    if (it.key() != "start" && it.key() != "end" && it.key() != "count" && it.key() != "format")
      return InvalidArgument("withSequence." + it.key(), "unknown field");
  if (seq.contains("format")) CORRAL_RETURN_IF_ERROR(CheckSequenceFormat(seq["format"]));
  return Status::Ok();
}

}  // namespace

Status CheckLoopAsSubmitted(const json& step) {
  if (step.contains("withItems")) {
    const json& items = step["withItems"];
    if (!items.is_array()) return InvalidArgument("withItems", "must be a list");
    if (static_cast<int64_t>(items.size()) > kMaxLoopItems)
      return TooManyItems("withItems", static_cast<int64_t>(items.size()));
  }
  if (step.contains("withParam")) {
    const json& param = step["withParam"];
    if (param.is_array()) {
      if (static_cast<int64_t>(param.size()) > kMaxLoopItems)
        return TooManyItems("withParam", static_cast<int64_t>(param.size()));
    } else if (!param.is_string()) {
      return InvalidArgument("withParam", "must be a JSON list or an expression giving one");
    } else if (!HasTag(param)) {
      json parsed = json::parse(param.get<std::string>(), nullptr, false);
      if (parsed.is_discarded() || !parsed.is_array())
        return InvalidArgument(
            "withParam", "'" + param.get<std::string>() + "' is not a JSON list nor an expression");
      if (static_cast<int64_t>(parsed.size()) > kMaxLoopItems)
        return TooManyItems("withParam", static_cast<int64_t>(parsed.size()));
    }
  }
  if (step.contains("withSequence")) {
    const json& seq = step["withSequence"];
    CORRAL_RETURN_IF_ERROR(CheckSequenceShape(seq));
    bool known = true;
    for (const char* field : {"start", "count", "end"}) {
      if (!seq.contains(field)) continue;
      if (HasTag(seq[field])) {
        known = false;
        continue;
      }
      CORRAL_ASSIGN_OR_RETURN(int64_t n, SequenceNumber(seq[field], field));
      if (std::string_view(field) == "count" && n > kMaxLoopItems)
        return TooManyItems("withSequence.count", n);
    }
    if (known) {
      auto range = SequenceRange(seq);
      if (!range.ok()) return range.status();
    }
  }
  return Status::Ok();
}

Result<std::optional<std::vector<json>>> ExpandItems(const json& step) {
  if (step.contains("withItems")) {
    const json& items = step["withItems"];
    if (!items.is_array()) return InvalidArgument("withItems", "must be a list");
    if (static_cast<int64_t>(items.size()) > kMaxLoopItems)
      return TooManyItems("withItems", static_cast<int64_t>(items.size()));
    return std::optional<std::vector<json>>(std::vector<json>(items.begin(), items.end()));
  }
  if (step.contains("withParam")) {
    json parsed = step["withParam"];
    if (parsed.is_string()) {
      parsed = json::parse(parsed.get<std::string>(), nullptr, false);
      if (parsed.is_discarded() || !parsed.is_array())
        return InvalidArgument("withParam",
                               "'" + step["withParam"].get<std::string>() + "' is not a JSON list");
    }
    if (!parsed.is_array()) return InvalidArgument("withParam", "must be a JSON list");
    if (static_cast<int64_t>(parsed.size()) > kMaxLoopItems)
      return TooManyItems("withParam", static_cast<int64_t>(parsed.size()));
    return std::optional<std::vector<json>>(std::vector<json>(parsed.begin(), parsed.end()));
  }
  if (step.contains("withSequence")) {
    const json& seq = step["withSequence"];
    CORRAL_RETURN_IF_ERROR(CheckSequenceShape(seq));
    CORRAL_ASSIGN_OR_RETURN(Sequence range, SequenceRange(seq));
    std::vector<json> items;
    if (range.empty) return std::optional<std::vector<json>>(std::move(items));
    const std::string format = seq.contains("format") ? seq["format"].get<std::string>() : "";
    const int64_t step_by = range.start <= range.end ? 1 : -1;
    for (int64_t i = range.start;; i += step_by) {
      if (format.empty()) {
        items.push_back(std::to_string(i));
      } else {
        try {
          items.push_back(fmt::sprintf(format, i));
        } catch (const std::exception&) {
          return InvalidArgument("withSequence.format", "bad format '" + format + "'");
        }
      }
      if (i == range.end) break;
    }
    return std::optional<std::vector<json>>(std::move(items));
  }
  return std::optional<std::vector<json>>();
}

}  // namespace corral::workflow
