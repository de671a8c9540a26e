#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "exec/executor.h"

namespace corral::exec::slurm {

// Where an attempt's files live on the shared spool: <spool>/jobs/<job>/<attempt>/.
//   batch.sh            the batch script below (the server's)
//   script.sh           the spec's script, when it has one
//   batch.log           the batch script's own output (Slurm's messages about the job)
//   slurm_job_id        written by the batch script when it starts: the job ran
//   replica-<i>.log     stdout+stderr of replica i (srun --output)
//   replica-<i>.exit    replica i's exit status as srun returned it (128+signal when killed)
//   work/               the default working directory
std::string AttemptDir(const std::string& spool_dir, JobId job, int attempt);
std::string ReplicaLogPath(const std::string& spool_dir, const ReplicaRef& ref);
std::string ReplicaExitPath(const std::string& spool_dir, const ReplicaRef& ref);
// The Slurm job name of an attempt, unique per server (its prefix) and attempt.
std::string SlurmJobName(const std::string& prefix, JobId job, int attempt);

struct BatchOptions {
  std::string spool_dir;
  std::string partition;  // empty: Slurm's default partition
  std::string name_prefix = "corral";
  bool pass_account = false;  // sbatch --uid/--gid (only root may)
  // Environment every replica starts from (PATH, LANG, ...); the spec's and the account's go on
  // top.
  std::map<std::string, std::string> base_env;
};

// What to submit for one attempt: sbatch's arguments (without the program name) and the texts
// of the files under the attempt's directory.
struct BatchJob {
  std::vector<std::string> sbatch_args;
  std::string batch_script;  // batch.sh
  std::string user_script;   // script.sh; empty when the spec has argv
};

// One Slurm job per attempt, pinned to the nodes Corral placed it on (--nodelist) with as many
// GPUs per node as its replicas there hold. The batch script starts one `srun` step per replica
// on that replica's node, with the replica's rendezvous environment and its own log; when a
// replica fails, the others get SIGTERM and, after the grace, SIGKILL (a gang fails together).
Result<BatchJob> BuildBatchJob(const LaunchSpec& spec, const BatchOptions& options);

// `value` quoted for a POSIX shell.
std::string ShellQuote(const std::string& value);

}  // namespace corral::exec::slurm
