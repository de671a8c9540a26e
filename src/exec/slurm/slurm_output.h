#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace corral::exec::slurm {

// One line of `squeue -h -o '%i|%T|%j|%N'`.
struct QueueRow {
  std::string job_id;
  std::string state;  // PENDING, RUNNING, COMPLETING, COMPLETED, CANCELLED, FAILED, TIMEOUT, ...
  std::string name;
  std::string nodes;
};
inline constexpr const char* kQueueFormat = "%i|%T|%j|%N";
std::vector<QueueRow> ParseQueue(std::string_view text);

// One line of `sacct -c -n -P -o jobid,state,exitcode,nodelist` (job completion records).
struct AccountingRow {
  std::string job_id;
  std::string state;
  int exit_code = 0;  // the batch script's, before the colon
  int signal = 0;     // after the colon
  std::string nodes;
};
std::vector<AccountingRow> ParseAccounting(std::string_view text);

// `sbatch --parsable` prints "<id>" or "<id>;<cluster>".
Result<std::string> ParseSubmittedId(std::string_view text);

// A node as `scontrol show nodes -o` describes it.
struct SlurmNode {
  std::string name;
  std::string address;  // NodeAddr
  int cpus = 0;
  int64_t memory_mb = 0;
  int gpus = 0;  // gres gpu count
  std::string state;
  std::string reason;
  std::vector<std::string> partitions;
  // Whether jobs can start there: not DOWN, DRAIN(ED/ING), FAIL, NOT_RESPONDING, INVAL, FUTURE or
  // powered down.
  bool usable = false;
};
std::vector<SlurmNode> ParseNodes(std::string_view text);
// GPUs in a Gres= value: "gpu:8", "gpu:a100:4(S:0-1),gpu:h100:2", "(null)".
int GpuCountInGres(std::string_view gres);

enum class SlurmJobPhase { kPending, kRunning, kEnding, kDone };
// Where a Slurm job state stands: waiting, running, still cleaning up (COMPLETING), or finished.
SlurmJobPhase PhaseOf(std::string_view state);

}  // namespace corral::exec::slurm
