#include "notebook/jupyter_activity.h"

#include <fmt/core.h>

#include <charconv>
#include <ctime>
#include <nlohmann/json.hpp>

namespace corral::notebook {

using nlohmann::json;

namespace {

bool ReadInt(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, out);
  return ec == std::errc() && p == s.data() + pos + len;
}

std::optional<TimePoint> TimeField(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return ParseJupyterTime(it->get<std::string>());
}

int IntField(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_number_integer() ? it->get<int>() : 0;
}

}  // namespace

std::optional<TimePoint> ParseJupyterTime(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS
  int year, month, day, hour, minute, second;
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':')
    return std::nullopt;
  if (!ReadInt(s, 0, 4, year) || !ReadInt(s, 5, 2, month) || !ReadInt(s, 8, 2, day) ||
      !ReadInt(s, 11, 2, hour) || !ReadInt(s, 14, 2, minute) || !ReadInt(s, 17, 2, second))
    return std::nullopt;
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int d = digits; d < 3; ++d) millis *= 10;
  }
  std::string_view zone = s.substr(pos);
  if (zone != "Z" && zone != "+00:00" && !zone.empty()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  time_t t = timegm(&tm);
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  return FromMillis(static_cast<int64_t>(t) * 1000 + millis);
}

Result<JupyterActivity> ParseJupyterActivity(std::string_view status_body,
                                             std::string_view kernels_body) {
  JupyterActivity out;
  json status = json::parse(status_body, nullptr, /*allow_exceptions=*/false);
  if (!status.is_object())
    return InvalidArgument("status", "Jupyter's /api/status is not a JSON object");
  out.last_activity = TimeField(status, "last_activity");
  out.connections = IntField(status, "connections");
  if (kernels_body.empty()) return out;
  json kernels = json::parse(kernels_body, nullptr, false);
  if (!kernels.is_array())
    return InvalidArgument("kernels", "Jupyter's /api/kernels is not a JSON array");
  for (const json& k : kernels) {
    if (!k.is_object()) continue;
    KernelActivity ka;
    if (auto it = k.find("execution_state"); it != k.end() && it->is_string())
      ka.execution_state = it->get<std::string>();
    ka.connections = IntField(k, "connections");
    ka.last_activity = TimeField(k, "last_activity");
    out.kernels.push_back(std::move(ka));
  }
  return out;
}

CullDecision DecideCull(const JupyterActivity& activity, TimePoint ready_at, TimePoint now,
                        Duration timeout) {
  TimePoint latest = ready_at;
  if (activity.last_activity) latest = std::max(latest, *activity.last_activity);
  int kernel_connections = 0;
  for (const KernelActivity& k : activity.kernels) {
    if (k.execution_state == "busy" || k.execution_state == "starting")
      return {false, fmt::format("a kernel is {}", k.execution_state)};
    kernel_connections += k.connections;
    if (k.last_activity) latest = std::max(latest, *k.last_activity);
  }
  int connections = std::max(activity.connections, kernel_connections);
  if (connections > 0) return {false, fmt::format("{} open connection(s)", connections)};
  Duration idle = std::chrono::duration_cast<Duration>(now - latest);
  if (idle < timeout)
    return {false,
            fmt::format("idle for {} s of {} s", idle.count() / 1000, timeout.count() / 1000)};
  return {true,
          fmt::format("idle for {} s (timeout {} s)", idle.count() / 1000, timeout.count() / 1000)};
}

}  // namespace corral::notebook
