#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/ids.h"
#include "model/job.h"

namespace corral::jobs {

// What happened to a job. Each kind's name is the `type` of the stored event (GET /events).
enum class JobEventKind {
  kSubmitted,
  kScheduled,        // placed; an attempt was written and is being launched
  kReplicaQueued,    // the backend accepted a replica (external id known) before it runs
  kReplicaStarted,   // one replica runs
  kStarted,          // every replica of the attempt runs
  kPreempting,       // asked to stop to make room
  kPreempted,        // the attempt ended by preemption (or its node went down)
  kRequeued,         // pending again for a new attempt that consumes no retry
  kRetrying,         // pending again after a failure, consuming a retry
  kCancelRequested,  // the replicas were told to stop
  kLogTruncated,     // a replica wrote more than the log cap; the rest was discarded
  kSucceeded,
  kFailed,
  kCancelled,
};
std::string_view JobEventKindName(JobEventKind kind);
inline bool IsTerminalEvent(JobEventKind k) {
  return k == JobEventKind::kSucceeded || k == JobEventKind::kFailed ||
         k == JobEventKind::kCancelled;
}

// One event, as every observer sees it. Observers get it after it was written to the store's open
// transaction (not yet committed), on the control thread, in the order the controller made them.
struct JobEvent {
  int64_t seq = 0;  // the stored event's sequence number
  JobEventKind kind = JobEventKind::kSubmitted;
  JobId job;
  UserId owner;
  std::optional<JobParent> parent;
  JobState state = JobState::kPending;  // the job's state after the event
  int attempt = 0;                      // 0 before the first attempt
  std::optional<int> replica;           // replica events only
  std::optional<int> exit_code;         // the attempt's, on terminal and retry events
  std::string reason;                   // free text: why, as the stored event's message
  TimePoint time;
};

// Anything that follows jobs (the event stream, experiments, workflows, ...). Registered with
// JobController::AddObserver; called on the control thread, which it must not block.
class JobObserver {
 public:
  virtual ~JobObserver() = default;
  virtual void OnJobEvent(const JobEvent& event) = 0;
};

// Adds environment to a job's replicas at launch only: secrets (tokens) that must never be
// stored in the job's spec nor shown by GET /jobs. Called on the control thread for every
// attempt; what it adds overrides nothing the spec sets.
class LaunchEnvProvider {
 public:
  virtual ~LaunchEnvProvider() = default;
  virtual void AddLaunchEnv(const Job& job, std::map<std::string, std::string>& env) = 0;
};

}  // namespace corral::jobs
