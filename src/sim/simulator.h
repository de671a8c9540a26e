#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "sched/scheduler.h"
#include "sim/trace.h"

namespace corral::sim {

// What the scheduler is told about a job's run time. The trace has only actual durations.
enum class EstimateMode {
  kOracle,          // time limit = the actual duration
  kRequestedLimit,  // time limit = duration rounded up to a limit a user would ask for
};

// The limit a user would have requested for a job of this duration: the next of 15 min, 30 min,
// 1, 2, 4, 8, 12, 24, 48, 72 h, one week, then whole weeks.
Duration RequestedLimit(double duration_s);

struct ScenarioConfig {
  int nodes = 64;
  int gpus_per_node = 8;
  EstimateMode estimates = EstimateMode::kOracle;
  // Trace jobs are checkpointable and may be preempted (size-based preemption scenario).
  bool preemptible_trace_jobs = false;
  // Else this fraction of the trace jobs (chosen by a hash of their position in the trace) are
  // checkpointable and preemptible: they may run on GPUs held for waiting gangs, on loan.
  double checkpointable_share = 0;
  // Run time a preempted job loses on restart (loading its checkpoint, warming up). The grace
  // period (the scheduler's) is lost too: the job saves its checkpoint then.
  double checkpoint_cost_s = 0;
  // Opportunistic filler (AutoML trials): this many 1-GPU trials outstanding at all times.
  int filler_jobs = 0;
  double filler_duration_s = 3600;
  // Interactive 1-GPU requests injected every this many seconds within the window (0: none).
  double interactive_every_s = 0;
  double interactive_duration_s = 1800;
  double window_from_s = 0;
  double window_to_s = 0;
  // Each tenant's queue is guaranteed this fraction of the cluster times its share of the offered
  // GPU-time (0: no guarantees); and limited to this many GPUs (-1: no limit).
  double guarantee_fraction = 0;
  int queue_max_gpus = -1;
  // Check the invariants after every step (else only at the end).
  bool check_every_step = true;
};

enum class JobKind { kTrace, kFiller, kInteractive };

struct JobOutcome {
  int64_t trace_id = 0;
  JobKind kind = JobKind::kTrace;
  double submit_s = 0;
  double first_start_s = -1;
  double end_s = -1;
  double duration_s = 0;
  int gpus = 0;
  std::string tenant;
  std::string user;
  std::string nodes;  // node indices of the first start, ';'-separated
  int preemptions = 0;
  double allocation_at_submit = 0;  // fraction of GPUs allocated when it was submitted
  int job = 0;  // the simulator's job number (RunSegment::job); trace ids may repeat
};

// One run of a job on its GPUs: from its start to its end, or to the moment its GPUs were
// released after a preemption. Enough to check a schedule without the simulator: no GPU in two
// segments at once, and each job's useful run time adding up to its duration.
enum class SegmentEnd { kFinished, kPreempted, kCut };  // kCut: still running when the run ended

struct RunSegment {
  int job = 0;  // the simulator's job number (unique; filler trials included)
  int64_t trace_id = 0;
  JobKind kind = JobKind::kTrace;
  int attempt = 1;
  double start_s = 0;
  double end_s = -1;
  SegmentEnd ended = SegmentEnd::kCut;
  double sigterm_s = -1;      // when the preemption was decided (progress is kept up to here)
  double restart_cost_s = 0;  // run time this attempt spends before making progress
  double duration_s = 0;      // the job's whole run time
  int gpus = 0;
  std::string devices;  // node:gpu pairs, ';'-separated
};

struct SimResult {
  std::vector<JobOutcome> jobs;  // trace and interactive jobs
  int total_gpus = 0;
  double span_s = 0;           // first submission to last trace job end
  double allocated_gpu_s = 0;  // all allocations over the span, filler included
  double filler_allocated_gpu_s = 0;
  double queued_s = 0;  // time with trace jobs waiting
  double allocated_while_queued_gpu_s = 0;
  // Time with trace jobs waiting of which at least one has a gang that fits in the GPUs free at
  // that moment (each replica within one node; reservations, the drain guard and queue limits
  // ignored), and the GPUs allocated over that time.
  double queued_fit_s = 0;
  double allocated_while_queued_fit_gpu_s = 0;
  double lost_gpu_s = 0;  // GPU-time of preempted attempts not kept as progress
  int preemptions = 0;
  int preempted_filler = 0;
  int preempted_non_filler_for_interactive = 0;
  int64_t passes = 0;
  double wall_s = 0;
  std::vector<RunSegment> segments;  // in order of start
};

// Replays the trace through `scheduler` with a virtual clock. Fails with the first invariant
// violation (or a decision that cannot be applied), naming the time and the job.
Result<SimResult> Simulate(const std::vector<TraceJob>& trace, sched::Scheduler& scheduler,
                           const ScenarioConfig& config);

}  // namespace corral::sim
