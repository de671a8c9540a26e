#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "exec/executor.h"

namespace corral::exec {

struct LocalExecutorOptions {
  // Replica directories live under <root_dir>/jobs/.
  std::string root_dir;
  // How to start the shim: {"/usr/bin/corral-shim"} or {"/usr/bin/corral", "shim"}. Empty: see
  // DefaultShimCommand().
  std::vector<std::string> shim_command;
  // Server environment variables passed on to every replica.
  std::vector<std::string> inherited_env_names;  // empty: DefaultInheritedEnvNames()
  // Time of events the executor itself observes (kLost, early failures). Null: system clock.
  const Clock* clock = nullptr;
  // How often an adopted replica whose shim has not recorded itself yet is looked at again.
  Duration adopt_poll_interval{50};
  // Most bytes a replica's log may hold; the shim keeps the head and drops the rest. -1: no cap.
  int64_t max_log_bytes = int64_t{1} << 30;
  // Each replica gets its own cgroups where a hierarchy is writable (else the shim kills its
  // tree as a subreaper). False: never use cgroups.
  bool use_cgroups = true;
  // pids limit of a replica's cgroup; 0: none.
  int64_t pids_max = 16384;
};

// `corral-shim` next to the running executable when it exists, else this executable with the
// `shim` subcommand.
std::vector<std::string> DefaultShimCommand();

// Runs each replica on this host under its own `corral-shim` (see docs/executor.md). One thread
// spawns shims, one watches them (pidfds and start notifications in one epoll set).
class LocalExecutor final : public Executor {
 public:
  explicit LocalExecutor(LocalExecutorOptions options);
  ~LocalExecutor() override;
  LocalExecutor(const LocalExecutor&) = delete;
  LocalExecutor& operator=(const LocalExecutor&) = delete;

  void SetEventSink(EventSink sink) override;
  void Launch(const LaunchSpec& spec) override;
  void Terminate(JobId job, int attempt, Duration grace) override;
  void Adopt(const ReplicaRef& ref, const std::string& external_id) override;
  std::string LogPath(const ReplicaRef& ref) const override;
  // Stops the executor's threads. Running replicas keep running; a new executor adopts them.
  void Shutdown() override;
  // How replicas are contained on this host, for the server's log.
  const std::string& containment_summary() const { return containment_summary_; }

 private:
  using RefKey = std::tuple<int64_t, int, int>;
  using AttemptKey = std::pair<int64_t, int>;

  struct PendingLaunch {
    std::shared_ptr<const LaunchSpec> spec;
    size_t replica_pos = 0;
    std::string error;  // spec rejected before any spawn
  };
  // A shim being watched: started by us, or adopted.
  struct Watched {
    ReplicaRef ref;
    std::string dir;
    pid_t shim_pid = 0;
    int pidfd = -1;
    int notify_fd = -1;  // read end of the shim's start notification; -1 once read
    bool started_reported = false;
  };
  enum class AdoptOutcome { kDone, kWatching, kRetryLater };

  static RefKey Key(const ReplicaRef& ref) { return {ref.job.value, ref.attempt, ref.replica}; }

  void LauncherLoop();
  void SpawnReplica(const PendingLaunch& launch);
  void MonitorLoop();
  void OnNotifyReadable(uint64_t id);
  void OnShimExited(uint64_t id);
  AdoptOutcome TryAdopt(const ReplicaRef& ref);
  void Finish(const ReplicaRef& ref, const std::string& dir, pid_t shim_pid, bool started_reported);
  // Registers a watched shim; returns its id. Caller holds mu_.
  uint64_t RegisterLocked(Watched watched);
  Watched UnregisterLocked(uint64_t id);
  void SignalReplicaDir(const std::string& dir, Duration grace);
  bool ReadStartNotification(Watched& w);

  void Emit(ExecEvent event);
  ExecEvent MakeEvent(ExecEvent::Kind kind, const ReplicaRef& ref) const;
  TimePoint Now() const;

  std::vector<std::string> CgroupDirs(const ReplicaRef& ref) const;

  const LocalExecutorOptions options_;
  const std::map<std::string, std::string> inherited_env_;
  std::vector<std::string> cgroup_parents_;
  std::string containment_summary_;
  SystemClock system_clock_;

  std::mutex sink_mu_;
  EventSink sink_;

  std::mutex mu_;
  std::condition_variable launch_cv_;
  std::deque<PendingLaunch> launch_queue_;
  std::vector<ReplicaRef> adopt_requests_;
  std::vector<ReplicaRef> awaiting_adoption_;  // shim alive but not yet identifiable
  std::map<uint64_t, Watched> watched_;
  std::map<RefKey, uint64_t> watched_by_ref_;
  std::map<AttemptKey, Duration> terminated_;  // attempts told to stop, with their grace
  uint64_t next_id_ = 1;
  bool stopping_ = false;

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> shut_down_{false};
  std::thread launcher_;
  std::thread monitor_;
};

}  // namespace corral::exec
