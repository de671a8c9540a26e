#pragma once

#include <string>

#include "exec/executor.h"

namespace corral::exec {

// On-disk layout of the local executor: `<root>/jobs/<job>/<attempt>/<replica>/`. The directory
// is the durable identity of a replica: a restarted server finds everything it needs there.
inline constexpr const char* kOutputLogFile = "output.log";
inline constexpr const char* kShimRecordFile = "shim.json";
inline constexpr const char* kExitRecordFile = "exit.json";
// Held (flock) by the shim for its whole life; free means no shim is running for the replica.
inline constexpr const char* kLockFile = "shim.lock";
// Grace in milliseconds for the next SIGTERM, written by Terminate() before it signals the shim.
inline constexpr const char* kGraceFile = "kill_grace_ms";
inline constexpr const char* kScriptFile = "script.sh";
// The job's own directory (owned by the job's user, 0700) and its default working directory.
// Everything else in the replica directory belongs to the server.
inline constexpr const char* kWorkDirName = "work";

std::string AttemptDir(const std::string& root, JobId job, int attempt);
std::string ReplicaDir(const std::string& root, const ReplicaRef& ref);

}  // namespace corral::exec
