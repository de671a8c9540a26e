#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "common/result.h"
#include "common/status.h"

namespace corral::exec {

// One replica of an attempt, as the executor must run it.
// The environment carries the rendezvous for distributed training (jobs/rendezvous.h): RANK,
// WORLD_SIZE, NODE_RANK, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR (rank 0's node address) and
// MASTER_PORT (chosen per attempt). A backend that places replicas itself may replace the node
// and fix the addresses up before start; it reports where a replica landed with its events.
struct ReplicaLaunch {
  int index = 0;
  std::string node;       // node name from the inventory
  std::vector<int> gpus;  // device indices on that node; become CUDA_VISIBLE_DEVICES
  std::map<std::string, std::string> env;  // per-replica additions (RANK, ...)
  std::string address{};                   // the node's address as other nodes reach it
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

// Where a replica runs, as the backend reports it (a batch system decides late).
struct ReplicaPlacementReport {
  std::string node;
  std::string address;
};

struct ExecEvent {
  // kQueued: a backend that submits to another system (Slurm) accepted the replica and knows its
  // id there, but it does not run yet. A local executor goes straight to kStarted.
  enum class Kind { kQueued, kStarted, kExited, kLaunchFailed, kLost };
  Kind kind = Kind::kStarted;
  ReplicaRef ref;
  std::string external_id;  // set with kQueued and kStarted
  TimePoint time;           // when it happened (process start / exit), as recorded by the shim
  std::optional<int> exit_code;
  std::optional<int> term_signal;
  bool timed_out = false;      // killed by the time limit
  bool log_truncated = false;  // with kExited: output beyond the log cap was dropped
  // kStarted: how the process tree is held and limited, in words; kExited: the mechanism that
  // killed it ("cgroup2", "cgroup1-freezer", "subreaper").
  std::string containment;
  std::string message;                                // launch failure / loss explanation
  std::optional<ReplicaPlacementReport> placement{};  // when the backend learned or changed it
};

// Combined stdout/stderr of one replica, wherever the backend keeps it (a local file; a file on
// a shared file system; an API). Single-owner; reads never block for long.
class LogSource {
 public:
  virtual ~LogSource() = default;
  // Up to `max` bytes from `offset`; fewer (or none) at the current end. A source that was
  // rewritten shorter than `offset` returns kFailedPrecondition, so the reader can start again.
  virtual Result<std::string> Read(int64_t offset, size_t max) = 0;
  // Where the log is, for messages ("" if it has no such name).
  virtual std::string Describe() const = 0;
};

// A log kept in a local file (the local executor's, or any backend's on a shared file system).
std::unique_ptr<LogSource> OpenFileLog(std::string path);

// Nodes joining and leaving, as a backend learns of them (Slurm: sinfo states; local: never).
struct NodeEvent {
  enum class Kind { kUp, kDown };
  Kind kind = Kind::kUp;
  std::string node;
  std::string address;  // with kUp; empty keeps what is known
  int gpus = 0;         // with kUp for a node not known before
  int cpus = 0;
  int64_t memory_mb = 0;
  std::string reason;  // with kDown
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
  // The replica's log; nullptr when there is none (yet). By default the file at LogPath.
  virtual std::unique_ptr<LogSource> OpenLog(const ReplicaRef& ref) const {
    std::string path = LogPath(ref);
    return path.empty() ? nullptr : OpenFileLog(std::move(path));
  }
  // Node changes the backend observes, delivered like events (from executor-owned threads). An
  // executor whose node list never changes keeps the default and never calls it.
  using NodeSink = std::function<void(NodeEvent)>;
  virtual void SetNodeSink(NodeSink sink) {}
  virtual void Shutdown() = 0;
};

}  // namespace corral::exec
