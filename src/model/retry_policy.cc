#include <charconv>
#include <string_view>

#include "model/job.h"

namespace corral {
namespace {

// Calls `visit(lo, hi)` for each range of "a-b,c"; false at the first malformed item.
template <typename Visit>
bool ForEachRange(std::string_view list, Visit visit) {
  if (list.empty()) return false;
  while (true) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    size_t dash = item.find('-');
    auto number = [](std::string_view s, int& out) {
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      return !s.empty() && ec == std::errc() && p == s.data() + s.size() && out >= 0 && out <= 255;
    };
    int lo = 0, hi = 0;
    if (dash == std::string_view::npos) {
      if (!number(item, lo)) return false;
      hi = lo;
    } else if (!number(item.substr(0, dash), lo) || !number(item.substr(dash + 1), hi) || lo > hi) {
      return false;
    }
    if (visit(lo, hi)) return true;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace

bool ValidExitCodeRanges(const std::string& exit_codes) {
  return ForEachRange(exit_codes, [](int, int) { return false; });
}

bool RetryableExitCode(const RetryPolicy& retry, int code) {
  if (retry.exit_codes.empty()) return true;
  bool hit = false;
  ForEachRange(retry.exit_codes, [&](int lo, int hi) { return hit = code >= lo && code <= hi; });
  return hit;
}

}  // namespace corral
