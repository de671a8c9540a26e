#pragma once

#include <ostream>

#include "cli/client_config.h"
#include "common/status.h"

namespace corral::cli {

// Exit statuses of client commands (docs/cli.md). `run --follow` exits with the job's own status
// instead (see JobExitStatus).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // the server refused or failed the request
inline constexpr int kExitUsage = 2;        // bad flags or arguments
inline constexpr int kExitUnreachable = 3;  // no reply from the server, or it is unavailable
inline constexpr int kExitAuth = 4;         // token missing, wrong, or not allowed to do this

int ExitCodeForStatus(const Status& status);

// One line on `err` ("corral: ...") saying what went wrong and what to do about it; returns the
// exit code for it.
int ReportFailure(const Status& status, const Connection& connection, std::ostream& err);

}  // namespace corral::cli
