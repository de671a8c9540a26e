#include <cstdint>

#include <fmt/format.h>
#include <fmt/printf.h>

#include "workflow/engine.h"
#include "workflow/expression.h"

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

Result<int64_t> SequenceNumber(const json& v, const char* field) {
  std::string s = ToText(v);
  try {
    size_t used = 0;
    int64_t n = std::stoll(s, &used);
    if (used != s.size()) throw std::invalid_argument(s);
    return n;
  } catch (...) {
    return InvalidArgument(std::string("withSequence.") + field, "'" + s + "' is not an integer");
  }
}

}  // namespace

// A loop's items become nodes, each kept in memory and in the store: a bound keeps one spec (or
// one step's output fed to withParam) from taking the server down.
constexpr int64_t kMaxLoopItems = 100000;

Status TooManyItems(const char* field, int64_t count) {
  return InvalidArgument(
      field, std::to_string(count) + " items; a loop has at most " + std::to_string(kMaxLoopItems));
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
    std::string format = seq.value("format", std::string());
    int64_t start = 0, end = 0;
    if (seq.contains("start")) {
      auto s = SequenceNumber(seq["start"], "start");
      if (!s.ok()) return s.status();
      start = *s;
    }
    if (seq.contains("count")) {
      auto c = SequenceNumber(seq["count"], "count");
      if (!c.ok()) return c.status();
      if (*c <= 0) return std::optional<std::vector<json>>(std::vector<json>{});
      if (*c > kMaxLoopItems) return TooManyItems("withSequence", *c);
      if (start > INT64_MAX - (*c - 1))
        return InvalidArgument("withSequence.start", "too large for its count");
      end = start + *c - 1;
    } else if (seq.contains("end")) {
      auto e = SequenceNumber(seq["end"], "end");
      if (!e.ok()) return e.status();
      end = *e;
    } else {
      return InvalidArgument("withSequence", "needs count or end");
    }
    // Compared as unsigned so that start and end at opposite ends of int64 cannot overflow.
    const uint64_t span = start <= end ? static_cast<uint64_t>(end) - static_cast<uint64_t>(start)
                                       : static_cast<uint64_t>(start) - static_cast<uint64_t>(end);
    if (span >= static_cast<uint64_t>(kMaxLoopItems))
      return InvalidArgument("withSequence", std::to_string(start) + " to " + std::to_string(end) +
                                                 " is more than " + std::to_string(kMaxLoopItems) +
                                                 " items");
    std::vector<json> items;
    int64_t step_by = start <= end ? 1 : -1;
    for (int64_t i = start;; i += step_by) {
      if (format.empty()) {
        items.push_back(std::to_string(i));
      } else {
        try {
          items.push_back(fmt::sprintf(format, i));
        } catch (const std::exception&) {
          return InvalidArgument("withSequence.format", "bad format '" + format + "'");
        }
      }
      if (i == end) break;
    }
    return std::optional<std::vector<json>>(std::move(items));
  }
  return std::optional<std::vector<json>>();
}

}  // namespace corral::workflow
