#pragma once

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <vector>

#include "common/clock.h"

namespace corral::cli {

// `corral ps`: ID NAME USER STATE GPUS NODE AGE DURATION REASON; `wide` adds REPLICAS, QUEUE,
// PRIORITY, ATTEMPT, EXIT, GPU indices in NODE, and COMMAND.
void RenderJobTable(const std::vector<nlohmann::json>& jobs, TimePoint now, bool wide,
                    std::ostream& out);

// `corral describe`: the job's spec, state and reason, placement, and every attempt with its
// replicas, in "Key: value" lines.
void RenderJobDescription(const nlohmann::json& job, TimePoint now, std::ostream& out);

// The job's command as a shell would read it back ("python3 train.py --name 'a b'").
std::string ShellJoin(const std::vector<std::string>& argv);

// Total GPUs of a job (replicas x per-replica GPUs), from its spec.
int64_t TotalGpus(const nlohmann::json& job);

// "SIGKILL" for 9; "signal 77" for numbers without a name.
std::string SignalName(int signal);

}  // namespace corral::cli
