#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "sched/options.h"
#include "sched/types.h"

namespace corral::sched {

// The pure scheduling core: events in, decisions out. Implementations own no threads, do no I/O
// and read no clock: time arrives as an argument. The owner (jobs/ controller or sim/) applies
// the decisions and reports back what happened through the On* events.
class Scheduler {
 public:
  virtual ~Scheduler() = default;

  // Replaces the node list. Jobs placed on nodes that disappear or go down stay accounted until
  // the owner reports them finished.
  virtual void SetNodes(std::vector<NodeInfo> nodes) = 0;
  virtual const std::vector<NodeInfo>& nodes() const = 0;
  virtual Status SetQueues(std::vector<QueueConfig> queues) = 0;

  // Whether a job could ever be placed here (its queue's limit, the largest node, the whole
  // cluster): kInfeasible with a readable reason naming the job field at fault, else ok. Checks
  // nothing about the job's id, and changes nothing.
  virtual Status CheckFeasible(const JobRequest& job) const = 0;
  // Queues a job. Fails as CheckFeasible does when no placement could ever hold it on this
  // cluster; then nothing is queued.
  virtual Status OnSubmit(const JobRequest& job) = 0;
  // A job already running with this placement (re-adopted after a server restart).
  virtual Status OnRestore(const JobRequest& job, const Placement& placement,
                           TimePoint started) = 0;
  // The job leaves the scheduler: cancelled while pending, or its processes ended.
  virtual void OnFinished(JobId job, TimePoint now) = 0;
  // A running job's processes ended because of preemption; it goes back to pending. By default
  // the time it ran is banked as progress (it is assumed to checkpoint); OnProgress corrects that.
  virtual void OnRequeue(JobId job, TimePoint now) = 0;
  // The owner's word on how much of a job's run time is banked (survives a restart). Used for
  // the remaining-time estimate; ignored by policies that do not estimate.
  virtual void OnProgress(JobId job, Duration banked) {}

  // One scheduling pass. Starts returned here are already accounted as running. Preempted jobs
  // stay accounted as running until the owner reports OnRequeue or OnFinished.
  virtual DecisionBatch Schedule(TimePoint now) = 0;

  // For a pending job: why it has not started, in words a user can read. Empty when unknown.
  virtual std::string PendingReason(JobId job) const = 0;
  // For a running job: what a user should know about it (e.g. that it runs on loan), else empty.
  virtual std::string RunningNote(JobId job) const { return {}; }

  virtual size_t pending_count() const { return 0; }
  virtual size_t running_count() const { return 0; }
};

// The default policy for the server (see docs/scheduler.md).
std::unique_ptr<Scheduler> MakeDefaultScheduler();
std::unique_ptr<Scheduler> MakeDefaultScheduler(const SchedulerOptions& options);

}  // namespace corral::sched
