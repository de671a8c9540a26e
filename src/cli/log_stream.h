#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "cli/api_client.h"
#include "cli/job_exit_status.h"
#include "common/result.h"

namespace corral::cli {

// Follows GET /jobs/{id}/logs?follow=true, writing each `log` event's line to `out` as it
// arrives (flushed, so a pipe sees it at once). Returns the outcome carried by the `end` event,
// or std::nullopt when the stream closed without one (server restarted, connection dropped).
Result<std::optional<JobOutcome>> FollowJobLogs(ApiClient& api, const std::string& job_id,
                                                std::optional<int> replica,
                                                std::optional<int> attempt, std::ostream& out,
                                                std::optional<int64_t> tail = std::nullopt);

// "/jobs/12/logs?replica=0&attempt=2&follow=true", with the id percent-encoded.
// `tail`: only the last N lines (then, with follow, what comes after them).
std::string JobLogsPath(const std::string& job_id, std::optional<int> replica,
                        std::optional<int> attempt, bool follow,
                        std::optional<int64_t> tail = std::nullopt);

}  // namespace corral::cli
