#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace corral::exec {

// shim.json: written by the shim once the child runs.
struct ShimRecord {
  pid_t shim_pid = 0;
  uint64_t shim_start_ticks = 0;  // /proc start ticks, to tell the shim from a reused pid
  pid_t child_pid = 0;
  pid_t child_pgid = 0;
  uint64_t child_start_ticks = 0;
  int64_t start_ms = 0;  // wall clock when the child started
};

// exit.json: written durably by the shim when the replica is over.
struct ExitRecord {
  std::optional<int> exit_code;
  std::optional<int> term_signal;
  int64_t start_ms = 0;  // 0 when the child never started
  int64_t end_ms = 0;
  bool timed_out = false;
  std::string launch_error;    // set when the command could not be executed (exit code 127)
  bool log_truncated = false;  // the command wrote more than the log cap; the rest was dropped
  std::string containment;     // how the process tree was held: "cgroup2", "subreaper", ...
};

// Formatting is dependency-free (the shim uses it); parsing lives in records_json.cc.
std::string FormatShimRecord(const ShimRecord& record);
std::string FormatExitRecord(const ExitRecord& record);
Result<ShimRecord> ParseShimRecord(std::string_view json);
Result<ExitRecord> ParseExitRecord(std::string_view json);

}  // namespace corral::exec
