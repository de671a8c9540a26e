#pragma once

#include <chrono>

#include "common/clock.h"

namespace corral::sched {

// Tunables of the default policy. The defaults are what the trace replay in docs/scheduler.md
// was measured with.
struct SchedulerOptions {
  // Fair share counts GPU-time with exponential decay of this half-life.
  Duration fair_share_half_life = std::chrono::hours(24);
  // How strongly a queue's (and a user's) share above its entitlement pushes its jobs back:
  // the size score is multiplied by 2^(strength * (share/entitlement - 1)).
  double queue_share_strength = 1.0;
  double user_share_strength = 0.5;
  // Jobs waiting longer than this leave the size-ordered band and are ordered by age ahead of
  // it; the first of them that cannot start gets the reservation. Bounds every wait.
  Duration starvation_age = std::chrono::hours(12);
  // Jobs at least this many GPUs become starving earlier (their size keeps them back longest).
  int large_job_gpus = 8;
  Duration large_job_starvation_age = std::chrono::hours(4);
  // When > 0, both starvation ages are at least this multiple of the backlog's drain time (the
  // pending jobs' remaining GPU-time over the cluster's GPUs, recomputed each pass): in an
  // overloaded cluster, where every wait grows with the backlog, fewer jobs leave the size order.
  double backlog_starvation_factor = 0;
  // Reservations per pass: the first job that cannot start gets one; with more, so do starving
  // jobs of >= large_job_gpus after it, each planned on capacity the earlier ones do not hold, so
  // their nodes drain side by side rather than one after the other (at most 32). More bound the
  // wait of large gangs tighter but cost average JCT in the trace replay (docs/scheduler.md).
  int max_reservations = 1;
  // When > 0, the starvation ages above are replaced by a deadline per job: its start in a FIFO
  // schedule of the same jobs on the GPUs taken as one pool (FifoShadow). A job starves once it
  // has waited this fraction of its wait there, and at least `fifo_deadline_min_wait`; starving
  // jobs are ordered by deadline. Size order then never keeps a job waiting much past when FIFO
  // would have started it, however loaded the cluster, without a fixed age to tune per cluster.
  double fifo_deadline_factor = 1.0;
  Duration fifo_deadline_min_wait = std::chrono::minutes(30);
  // And not before it has waited this fraction of the longest wait in the FIFO shadow so far:
  // the target is FIFO's longest wait, so a job FIFO would have started early may still give way
  // to shorter ones until its wait nears that.
  double fifo_max_wait_factor = 0.9;
  // A job is due this much earlier for each second the urgent work ahead of it would take on the
  // whole cluster (older urgent jobs' remaining GPU-time over the cluster's GPUs).
  double fifo_backlog_lookahead = 0;

  // Placement prefers the node whose drain (the time it is entirely free) the job delays least,
  // then best fit, so jobs ending together share nodes and nodes empty whole for large gangs.
  bool align_drain = true;
  // While jobs of >= large_job_gpus wait, the nodes expected to be entirely free soonest (within
  // `drain_guard_horizon`; `drain_guard_nodes` times as many as those jobs fill) are guarded: a
  // smaller non-starving job that would keep one busy more than `drain_guard_extension` past its
  // drain is kept off it and waits for another slot. Extension 0 turns the guard off.
  Duration drain_guard_horizon = std::chrono::hours(4);
  Duration drain_guard_extension = std::chrono::hours(3);
  double drain_guard_nodes = 1.5;
  // Preemptible (checkpointing) jobs of the normal class that the reservation or the drain guard
  // keep off free GPUs start there anyway, on loan: they do not count towards a node's drain nor
  // delay a reservation, and the job that holds the reservation (or a waiting large gang) takes
  // the GPUs back by preempting them when it can start. Idle capacity held for gangs is then
  // used by work that can be stopped, rather than left idle.
  bool lend_held_gpus = true;
  // Remaining-time estimate for jobs without a time limit.
  Duration default_time_limit = std::chrono::hours(24);

  // Grace between SIGTERM and SIGKILL for a preempted job.
  Duration opportunistic_grace = std::chrono::seconds(30);
  Duration preemption_grace = std::chrono::seconds(60);
  // Size-based preemption among preemptible jobs of the same class: a pending job whose GPU-time
  // estimate is `shorter_job_ratio` times smaller than a running job's remaining GPU-time may
  // preempt it, once that job has run `min_run_before_preemption`. 0 turns it off.
  double shorter_job_ratio = 0.0;
  Duration min_run_before_preemption = std::chrono::minutes(30);
  // How many blocked jobs per pass may search for preemption victims (bounds pass time); jobs of
  // >= large_job_gpus search regardless (one failed search per shape, class and queue).
  int max_preemption_attempts_per_pass = 16;
  // A claim on GPUs held while victims drain is dropped after this long.
  Duration claim_timeout = std::chrono::minutes(10);
};

}  // namespace corral::sched
