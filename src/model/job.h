#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "model/priority.h"

namespace corral {

// Resources of one replica. A job asks for `replicas` identical replicas, placed as a gang.
struct ReplicaResources {
  int gpus = 0;
  int cpus = 1;
  int64_t memory_mb = 0;  // 0 = unspecified
};

struct RetryPolicy {
  int max_retries = 0;              // extra attempts after a failure
  bool retry_on_preemption = true;  // a preempted attempt requeues without consuming a retry
  // Exit codes that are retried, as ranges ("128-255,3"); empty: every failure. A death by signal
  // counts as 128+signal.
  std::string exit_codes;
};

// Whether `exit_codes` is a valid list of ranges of 0..255.
bool ValidExitCodeRanges(const std::string& exit_codes);
// Whether a failed attempt with `code` may be retried under `retry` (retries left aside).
bool RetryableExitCode(const RetryPolicy& retry, int code);

// What the user asked for. Immutable once accepted.
struct JobSpec {
  std::string name;
  std::vector<std::string> command;  // argv; exactly one of command / script is set
  std::string script;                // shell script, run with /bin/sh -c semantics via a file
  int replicas = 1;
  ReplicaResources resources;
  std::map<std::string, std::string> env;
  std::string workdir;
  PriorityClass priority = PriorityClass::kNormal;
  std::string queue = "default";
  std::optional<Duration> time_limit;
  RetryPolicy retry;
  std::map<std::string, std::string> labels;
  bool preemptible = false;  // opportunistic work is always preemptible
};

enum class JobState { kPending, kStarting, kRunning, kSucceeded, kFailed, kCancelled, kPreempted };

// kPreempted is transient: a preempted attempt that will run again shows it until the job is
// queued again (kPending) in the same step; a job whose policy refuses to restart after
// preemption ends kFailed with reason "preempted".
std::string_view JobStateName(JobState s);
std::optional<JobState> ParseJobState(std::string_view name);
inline bool IsTerminal(JobState s) {
  return s == JobState::kSucceeded || s == JobState::kFailed || s == JobState::kCancelled;
}

// Where one replica of an attempt runs: a node and the device indices on it.
struct ReplicaPlacement {
  std::string node;
  std::vector<int> gpus;
};

enum class ReplicaState { kStarting, kRunning, kExited };
std::string_view ReplicaStateName(ReplicaState s);

struct ReplicaRun {
  int index = 0;
  ReplicaPlacement placement;
  std::string external_id;  // executor's id (local: shim pid@start; slurm: job id)
  ReplicaState state = ReplicaState::kStarting;
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> ended_at;
  std::optional<int> exit_code;    // set when the process exited normally
  std::optional<int> term_signal;  // set when it was killed by a signal
};

// One try of a job. Retries and requeues after preemption are new attempts of the same job.
struct Attempt {
  int number = 1;
  std::vector<ReplicaRun> replicas;
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> ended_at;
  std::optional<int> exit_code;  // the job-level result: first failing replica's, else 0
  std::string end_reason;        // "exited", "cancelled", "time limit", "preempted", "lost"
};

// What made a job, when it is part of something larger: an experiment's trial, a workflow's step,
// a notebook session, a distributed training run. Set at submit, never changed; the owner finds
// its children by it and learns of their events through jobs::JobObserver.
enum class ParentKind { kExperiment, kWorkflow, kNotebook, kTraining };
std::string_view ParentKindName(ParentKind k);
std::optional<ParentKind> ParseParentKind(std::string_view name);

struct JobParent {
  ParentKind kind = ParentKind::kExperiment;
  int64_t id = 0;         // the parent's id in its own table
  std::string child_key;  // which child of the parent: a trial number, a step name, ...
  friend bool operator==(const JobParent&, const JobParent&) = default;
};

struct Job {
  JobId id;
  std::optional<JobParent> parent;
  UserId owner;
  std::string owner_name;
  JobSpec spec;
  JobState state = JobState::kPending;
  std::string reason;  // why pending / why it ended
  TimePoint submitted_at;
  std::optional<TimePoint> ended_at;
  std::vector<Attempt> attempts;
  bool cancel_requested = false;
};

}  // namespace corral
