#include "metrics/process_collector.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace corral::metrics {
namespace {

std::optional<std::string> ReadFile(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<long long> BootTimeSeconds() {
  auto text = ReadFile("/proc/stat");
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("btime ", 0) == 0) return std::stoll(line.substr(6));
  }
  return std::nullopt;
}

}  // namespace

std::optional<ProcStat> ParseProcStat(std::string_view text) {
  size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // Fields from 3 (state) on, split at spaces.
  std::vector<std::string_view> fields;
  size_t pos = close + 1;
  while (pos < text.size()) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n')) ++pos;
    size_t end = pos;
    while (end < text.size() && text[end] != ' ' && text[end] != '\n') ++end;
    if (end > pos) fields.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  // fields[0] is field 3 of proc(5): field n is fields[n - 3].
  auto field = [&](int n) -> std::optional<long long> {
    size_t i = static_cast<size_t>(n - 3);
    if (i >= fields.size()) return std::nullopt;
    long long v = 0;
    auto [p, ec] = std::from_chars(fields[i].data(), fields[i].data() + fields[i].size(), v);
    if (ec != std::errc() || p != fields[i].data() + fields[i].size()) return std::nullopt;
    return v;
  };
  auto utime = field(14), stime = field(15), start = field(22), vsize = field(23), rss = field(24);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  return ProcStat{*utime, *stime, *start, *vsize, *rss};
}

std::optional<ProcessFigures> ReadProcessFigures() {
  auto text = ReadFile("/proc/self/stat");
  if (!text) return std::nullopt;
  auto stat = ParseProcStat(*text);
  if (!stat) return std::nullopt;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  ProcessFigures f;
  f.cpu_seconds = (stat->utime_ticks + stat->stime_ticks) / ticks;
  f.resident_bytes = stat->rss_pages * page;
  f.virtual_bytes = static_cast<double>(stat->vsize_bytes);
  if (auto boot = BootTimeSeconds()) f.start_time_seconds = *boot + stat->start_ticks / ticks;
  std::error_code ec;
  int fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  // The iterator's own descriptor was open while counting.
  f.open_fds = fds > 0 ? fds - 1 : 0;
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) f.max_fds = static_cast<double>(lim.rlim_cur);
  return f;
}

void AppendProcessFamilies(const ProcessFigures& f, std::vector<Family>& out) {
  auto gauge = [&](const char* name, const char* help, double v, MetricType t) {
    Family fam(name, help, t);
    fam.Add({}, v);
    out.push_back(std::move(fam));
  };
  gauge("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
        f.cpu_seconds, MetricType::kCounter);
  gauge("process_resident_memory_bytes", "Resident memory size in bytes.", f.resident_bytes,
        MetricType::kGauge);
  gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", f.virtual_bytes,
        MetricType::kGauge);
  gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
        f.start_time_seconds, MetricType::kGauge);
  gauge("process_open_fds", "Number of open file descriptors.", f.open_fds, MetricType::kGauge);
  gauge("process_max_fds", "Maximum number of open file descriptors.", f.max_fds,
        MetricType::kGauge);
}

}  // namespace corral::metrics
