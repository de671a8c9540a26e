#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "metrics/exposition.h"

namespace corral::metrics {

// The fields of /proc/<pid>/stat that the process_* series need, in the units the kernel gives.
struct ProcStat {
  long long utime_ticks = 0;
  long long stime_ticks = 0;
  long long start_ticks = 0;  // after boot
  long long vsize_bytes = 0;
  long long rss_pages = 0;
};

// Parses one /proc/<pid>/stat line. The command name (field 2) may hold spaces and parentheses,
// so fields are counted from its last ')'.
std::optional<ProcStat> ParseProcStat(std::string_view text);

struct ProcessFigures {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;  // Unix time
  double open_fds = 0;
  double max_fds = 0;
};

// This process's figures from /proc; nullopt where /proc cannot be read.
std::optional<ProcessFigures> ReadProcessFigures();

// The series every Prometheus client library exports under these names, so that stock
// dashboards and alerts work unchanged.
void AppendProcessFamilies(const ProcessFigures& figures, std::vector<Family>& out);

}  // namespace corral::metrics
