#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "exec/executor.h"
#include "exec/slurm/batch_script.h"
#include "exec/slurm/command_runner.h"
#include "exec/slurm/slurm_output.h"

namespace corral::exec::slurm {

struct SlurmExecutorOptions {
  // Shared by the server and every node at the same path (replica logs and exit records).
  std::string spool_dir;
  std::string partition;  // empty: every node, Slurm's default partition
  std::string name_prefix = "corral";
  // Directory holding sbatch, squeue, scontrol, sacct, scancel; empty: found in PATH.
  std::string bin_dir;
  Duration poll_interval{500};
  Duration node_poll_interval{2000};
  Duration command_timeout{30'000};
  // sbatch calls in flight at once (each waits mostly on slurmctld).
  int submit_threads = 4;
  // Submit as the job's account (sbatch --uid/--gid); only a root server may.
  bool pass_account = false;
  const Clock* clock = nullptr;  // null: system clock
};

// Runs each attempt as one Slurm job (see docs/slurm.md). Corral places; Slurm is told where
// (--nodelist, --gres per node) and runs it. A few threads submit and cancel; one polls squeue
// (and sacct) for every tracked job at once and scontrol for the nodes.
class SlurmExecutor final : public Executor {
 public:
  explicit SlurmExecutor(SlurmExecutorOptions options);
  ~SlurmExecutor() override;
  SlurmExecutor(const SlurmExecutor&) = delete;
  SlurmExecutor& operator=(const SlurmExecutor&) = delete;

  // The partition's nodes as Slurm describes them now (called once at start, before Launch).
  Result<std::vector<SlurmNode>> DiscoverNodes();

  void SetEventSink(EventSink sink) override;
  void SetNodeSink(NodeSink sink) override;
  void Launch(const LaunchSpec& spec) override;
  void Terminate(JobId job, int attempt, Duration grace) override;
  void Adopt(const ReplicaRef& ref, const std::string& external_id) override;
  std::string LogPath(const ReplicaRef& ref) const override;
  void Shutdown() override;

 private:
  using AttemptKey = std::pair<int64_t, int>;
  // One attempt submitted to Slurm (or being adopted).
  struct Tracked {
    JobId job;
    int attempt = 0;
    std::string slurm_id;                      // empty until resolved (adoption by name)
    std::set<int> replicas;                    // replica indices this executor reports on
    std::map<int, std::string> replica_nodes;  // from the launch; empty after adoption
    bool started_reported = false;
    int missing_polls = 0;  // polls that did not find the job in squeue
  };
  struct PendingKill {
    std::chrono::steady_clock::time_point at;
    std::string slurm_id;
  };

  void SubmitLoop();
  void PollLoop();
  void Submit(const LaunchSpec& spec);
  void PollJobs();
  void PollNodes();
  void FinishTracked(const Tracked& t, const std::string& state, int batch_exit, int batch_signal);
  void Cancel(const std::string& slurm_id, Duration grace, bool running);
  Result<CommandOutput> Slurm(const std::string& program, const std::vector<std::string>& args,
                              const std::string& input = "");

  void Emit(ExecEvent event);
  ExecEvent MakeEvent(ExecEvent::Kind kind, const ReplicaRef& ref) const;
  TimePoint Now() const;

  const SlurmExecutorOptions options_;
  BatchOptions batch_options_;
  std::map<std::string, std::string> command_env_;
  SystemClock system_clock_;

  std::mutex sink_mu_;
  EventSink sink_;
  NodeSink node_sink_;

  std::mutex mu_;
  std::condition_variable submit_cv_;
  std::condition_variable poll_cv_;
  std::deque<std::shared_ptr<const LaunchSpec>> submit_queue_;
  std::deque<std::pair<AttemptKey, Duration>> cancel_queue_;
  std::map<AttemptKey, Duration> terminated_;  // attempts told to stop, with their grace
  std::map<AttemptKey, Tracked> tracked_;
  std::vector<PendingKill> pending_kills_;
  std::map<std::string, SlurmNode> known_nodes_;
  bool nodes_known_ = false;
  bool stopping_ = false;
  std::vector<std::thread> submitters_;
  std::thread poller_;
};

}  // namespace corral::exec::slurm
