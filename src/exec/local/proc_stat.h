#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace corral::exec {

// Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat). A pid plus
// its start ticks names one process even after the pid number is reused.
std::optional<uint64_t> ReadProcessStartTicks(pid_t pid);

// True when `pid` exists and started at `start_ticks`.
bool IsSameProcess(pid_t pid, uint64_t start_ticks);

}  // namespace corral::exec
