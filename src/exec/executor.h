#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "common/status.h"

namespace corral::exec {

// One replica of an attempt, as the executor must run it.
struct ReplicaLaunch {
  int index = 0;
  std::string node;       // node name from the inventory
  std::vector<int> gpus;  // device indices on that node; become CUDA_VISIBLE_DEVICES
  std::map<std::string, std::string> env;  // per-replica additions (RANK, ...)
};

// The account a job's processes run as, resolved by the caller. A local backend switches to
// uid/gid (when it runs as root); a backend that submits elsewhere passes the name on (Slurm:
// `sbatch --uid`).
struct RunAs {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string home;
  std::string shell;
};

// One attempt of a job: all replicas start together (a gang). An executor may run them as one
// unit (Slurm: one job spanning nodes) or one process tree per replica (local).
struct LaunchSpec {
  JobId job;
  int attempt = 1;
  std::string user;                        // the Corral user who submitted it
  std::optional<RunAs> run_as;             // unset: the executor's own account
  std::vector<std::string> argv;           // exactly one of argv / script
  std::string script;                      // run by /bin/sh
  std::map<std::string, std::string> env;  // common to all replicas
  std::string workdir;                     // empty: the replica's own directory
  std::optional<Duration> time_limit;      // enforced by the executor, even across restarts
  Duration kill_grace{10'000};             // SIGTERM -> grace -> SIGKILL
  // Per replica, enforced where the backend can (cgroups locally); 0: no limit.
  int cpus = 0;
  int64_t memory_mb = 0;
  std::vector<ReplicaLaunch> replicas;
};

// Identifies one replica of one attempt.
struct ReplicaRef {
  JobId job;
  int attempt = 1;
  int replica = 0;
  friend bool operator==(const ReplicaRef&, const ReplicaRef&) = default;
};

struct ExecEvent {
  enum class Kind { kStarted, kExited, kLaunchFailed, kLost };
  Kind kind = Kind::kStarted;
  ReplicaRef ref;
  std::string external_id;  // set with kStarted
  TimePoint time;           // when it happened (process start / exit), as recorded by the shim
  std::optional<int> exit_code;
  std::optional<int> term_signal;
  bool timed_out = false;      // killed by the time limit
  bool log_truncated = false;  // with kExited: output beyond the log cap was dropped
  // kStarted: how the process tree is held and limited, in words; kExited: the mechanism that
  // killed it ("cgroup2", "cgroup1-freezer", "subreaper").
  std::string containment;
  std::string message;  // launch failure / loss explanation
};

// Runs processes. Calls never block on the processes themselves: results arrive as ExecEvents
// through the sink, from executor-owned threads (the owner re-posts them to its own thread).
class Executor {
 public:
  using EventSink = std::function<void(ExecEvent)>;
  virtual ~Executor() = default;

  virtual void SetEventSink(EventSink sink) = 0;
  virtual void Launch(const LaunchSpec& spec) = 0;
  // SIGTERM to every replica of the attempt, SIGKILL after `grace`. Idempotent.
  virtual void Terminate(JobId job, int attempt, Duration grace) = 0;
  // After a server restart: take back a replica recorded as started (or starting). Emits kExited
  // (kLaunchFailed for a command that could not be executed) if it ended meanwhile, kLost if
  // nothing is known of it or its supervisor died without a record; while it still runs, kStarted
  // again (same external id and start time, so a replica last known as starting catches up) and
  // later events as usual. `external_id` may be empty when the launch was never acknowledged.
  virtual void Adopt(const ReplicaRef& ref, const std::string& external_id) = 0;
  // Where the combined stdout/stderr of a replica is written ("" if this executor has no file).
  virtual std::string LogPath(const ReplicaRef& ref) const = 0;
  virtual void Shutdown() = 0;
};

}  // namespace corral::exec
