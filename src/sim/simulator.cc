#include "sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <queue>
#include <unordered_map>

#include "sim/invariants.h"

namespace corral::sim {
namespace {

// The Philly trace's origin (2017-09-04 10:30:41 UTC), so times in reasons read as real dates.
constexpr int64_t kEpochMs = 1'504'521'041'000;

// A fixed value in [0, 1) per trace position, so that the checkpointable jobs are the same in
// every policy's run and every replay.
double UnitHash(uint64_t i) { return static_cast<double>(MixBits(i) >> 11) * 0x1.0p-53; }

int64_t ToMs(double s) { return static_cast<int64_t>(std::llround(s * 1000.0)); }
double ToS(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

enum class EventType { kSubmit = 0, kFinish = 1, kStop = 2 };

struct Event {
  int64_t at_ms;
  uint64_t seq;
  EventType type;
  int job;      // index into the job table
  int attempt;  // stale finish/stop events are ignored
  bool operator>(const Event& o) const {
    if (at_ms != o.at_ms) return at_ms > o.at_ms;
    return seq > o.seq;
  }
};

enum class State { kUnsubmitted, kPending, kRunning, kStopping, kDone };

struct SimJob {
  JobKind kind;
  int outcome = -1;  // index into SimResult::jobs, -1 for filler
  int64_t submit_ms = 0;
  int64_t work_ms = 0;
  int64_t done_ms = 0;     // progress kept across preemptions
  int64_t penalty_ms = 0;  // restart cost of the current attempt
  int64_t run_start_ms = 0;
  int64_t stop_decided_ms = 0;
  int gpus = 0;
  int replicas = 1;
  int per = 0;
  std::string queue;
  std::string user;
  PriorityClass priority = PriorityClass::kNormal;
  bool preemptible = false;
  Duration limit{0};
  State state = State::kUnsubmitted;
  int attempt = 0;
  int segment = -1;  // index into SimResult::segments of the current attempt
};

class Run {
 public:
  Run(const std::vector<TraceJob>& trace, sched::Scheduler& scheduler, const ScenarioConfig& c)
      : trace_(trace), sched_(scheduler), config_(c) {}

  Result<SimResult> Go();

 private:
  TimePoint At(int64_t ms) const { return FromMillis(kEpochMs + ms); }
  void Push(int64_t at, EventType type, int job, int attempt) {
    events_.push({at, seq_++, type, job, attempt});
  }
  int AddJob(SimJob job) {
    jobs_.push_back(std::move(job));
    return static_cast<int>(jobs_.size()) - 1;
  }
  sched::JobRequest Request(int j) const;
  Status Submit(int j, int64_t now);
  Status Apply(const sched::DecisionBatch& batch, int64_t now);
  Status Fail(int64_t now, const std::string& what) const {
    return Internal("t=" + std::to_string(ToS(now)) + " s: " + what);
  }
  void Release(int j);
  int AddFiller(int64_t now);
  void EndSegment(int j, int64_t now, SegmentEnd how);
  void CountWaiting(int j, int delta) {
    if (jobs_[j].kind == JobKind::kTrace)
      waiting_shapes_[{jobs_[j].replicas, jobs_[j].per}] += delta;
  }
  bool SomeWaitingGangFits() const;

  const std::vector<TraceJob>& trace_;
  sched::Scheduler& sched_;
  ScenarioConfig config_;
  std::vector<SimJob> jobs_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  uint64_t seq_ = 0;
  AppliedState applied_;
  SimResult result_;
  int allocated_ = 0;
  int filler_allocated_ = 0;
  int trace_waiting_ = 0;
  int open_jobs_ = 0;                                  // trace + interactive jobs not yet done
  std::vector<int> free_gpus_;                         // per node
  std::map<std::pair<int, int>, int> waiting_shapes_;  // (replicas, GPUs each) -> waiting jobs
};

bool Run::SomeWaitingGangFits() const {
  std::vector<int> nodes_with(config_.gpus_per_node + 1, 0);
  for (int f : free_gpus_) ++nodes_with[std::clamp(f, 0, config_.gpus_per_node)];
  for (const auto& [shape, count] : waiting_shapes_) {
    if (count <= 0) continue;
    const auto [replicas, per] = shape;
    if (per <= 0) return true;
    long room = 0;
    for (int f = per; f <= config_.gpus_per_node; ++f)
      room += static_cast<long>(f / per) * nodes_with[f];
    if (room >= replicas) return true;
  }
  return false;
}

void Run::EndSegment(int j, int64_t now, SegmentEnd how) {
  SimJob& s = jobs_[j];
  if (s.segment < 0) return;
  RunSegment& seg = result_.segments[s.segment];
  seg.end_s = ToS(now) + config_.window_from_s;
  seg.ended = how;
  if (how == SegmentEnd::kPreempted) seg.sigterm_s = ToS(s.stop_decided_ms) + config_.window_from_s;
  s.segment = -1;
}

sched::JobRequest Run::Request(int j) const {
  const SimJob& s = jobs_[j];
  sched::JobRequest r;
  r.id = JobId(j + 1);
  r.user = s.user;
  r.queue = s.queue;
  r.priority = s.priority;
  r.preemptible = s.preemptible;
  r.replicas = s.replicas;
  r.per_replica.gpus = s.per;
  r.time_limit = s.limit;
  r.submitted = At(s.submit_ms);
  return r;
}

Status Run::Submit(int j, int64_t now) {
  SimJob& s = jobs_[j];
  Status st = sched_.OnSubmit(Request(j));
  if (!st.ok()) {
    // Never fits: recorded as never started; not a harness error.
    s.state = State::kDone;
    if (s.kind != JobKind::kFiller) --open_jobs_;
    return Status::Ok();
  }
  s.state = State::kPending;
  if (s.kind == JobKind::kTrace) ++trace_waiting_;
  CountWaiting(j, +1);
  if (s.outcome >= 0)
    result_.jobs[s.outcome].allocation_at_submit =
        static_cast<double>(allocated_) / std::max(1, result_.total_gpus);
  return Status::Ok();
}

int Run::AddFiller(int64_t now) {
  SimJob f;
  f.kind = JobKind::kFiller;
  f.submit_ms = now;
  f.work_ms = ToMs(config_.filler_duration_s);
  f.gpus = 1;
  f.per = 1;
  f.queue = "automl";
  f.user = "tuner";
  f.priority = PriorityClass::kOpportunistic;
  f.preemptible = true;
  f.limit = Duration(f.work_ms);
  return AddJob(std::move(f));
}

void Run::Release(int j) {
  SimJob& s = jobs_[j];
  if (auto it = applied_.running.find(JobId(j + 1)); it != applied_.running.end())
    for (const auto& r : it->second.placement)
      free_gpus_[r.node] += static_cast<int>(r.gpus.size());
  applied_.running.erase(JobId(j + 1));
  allocated_ -= s.gpus;
  if (s.kind == JobKind::kFiller) filler_allocated_ -= s.gpus;
}

Status Run::Apply(const sched::DecisionBatch& batch, int64_t now) {
  for (const auto& start : batch.starts) {
    int j = static_cast<int>(start.job.value) - 1;
    if (j < 0 || j >= static_cast<int>(jobs_.size()) || jobs_[j].state != State::kPending)
      return Fail(now, "scheduler started job " + std::to_string(start.job.value) +
                           " which is not pending");
    SimJob& s = jobs_[j];
    for (const auto& r : start.placement) {
      if (r.node < 0 || r.node >= static_cast<int>(free_gpus_.size()))
        return Fail(now, "scheduler placed job " + std::to_string(start.job.value) + " on node " +
                             std::to_string(r.node) + " which does not exist");
      free_gpus_[r.node] -= static_cast<int>(r.gpus.size());
    }
    {
      RunSegment seg;
      seg.job = j + 1;
      seg.trace_id = s.outcome >= 0 ? result_.jobs[s.outcome].trace_id : j + 1;
      seg.kind = s.kind;
      seg.attempt = s.attempt + 1;
      seg.start_s = ToS(now) + config_.window_from_s;
      seg.restart_cost_s = ToS(s.penalty_ms);
      seg.duration_s = ToS(s.work_ms);
      seg.gpus = s.gpus;
      for (const auto& r : start.placement)
        for (int g : r.gpus)
          seg.devices +=
              (seg.devices.empty() ? "" : ";") + std::to_string(r.node) + ":" + std::to_string(g);
      s.segment = static_cast<int>(result_.segments.size());
      result_.segments.push_back(std::move(seg));
    }
    CountWaiting(j, -1);
    AppliedJob a{s.queue, s.replicas, s.per, start.placement};
    applied_.running[start.job] = std::move(a);
    s.state = State::kRunning;
    s.run_start_ms = now;
    ++s.attempt;
    allocated_ += s.gpus;
    if (s.kind == JobKind::kFiller) filler_allocated_ += s.gpus;
    if (s.kind == JobKind::kTrace) --trace_waiting_;
    if (s.outcome >= 0 && result_.jobs[s.outcome].first_start_s < 0) {
      JobOutcome& o = result_.jobs[s.outcome];
      o.first_start_s = ToS(now) + config_.window_from_s;
      std::vector<int> nodes;
      for (const auto& r : start.placement)
        if (std::find(nodes.begin(), nodes.end(), r.node) == nodes.end()) nodes.push_back(r.node);
      for (size_t k = 0; k < nodes.size(); ++k)
        o.nodes += (k ? ";" : "") + std::to_string(nodes[k]);
    }
    Push(now + (s.work_ms - s.done_ms) + s.penalty_ms, EventType::kFinish, j, s.attempt);
  }
  for (const auto& p : batch.preemptions) {
    int j = static_cast<int>(p.job.value) - 1;
    if (j < 0 || j >= static_cast<int>(jobs_.size()) || jobs_[j].state != State::kRunning)
      return Fail(
          now, "scheduler preempted job " + std::to_string(p.job.value) + " which is not running");
    SimJob& s = jobs_[j];
    if (!s.preemptible && s.priority != PriorityClass::kOpportunistic)
      return Fail(now, "scheduler preempted job " + std::to_string(p.job.value) +
                           " which is not preemptible");
    s.state = State::kStopping;
    s.stop_decided_ms = now;
    ++result_.preemptions;
    if (s.kind == JobKind::kFiller) ++result_.preempted_filler;
    if (p.cause == sched::PreemptCause::kInteractive && s.kind != JobKind::kFiller)
      ++result_.preempted_non_filler_for_interactive;
    if (s.outcome >= 0) result_.jobs[s.outcome].preemptions++;
    Push(now + p.grace.count(), EventType::kStop, j, s.attempt);
  }
  return Status::Ok();
}

Result<SimResult> Run::Go() {
  const int G = config_.gpus_per_node;
  std::vector<sched::NodeInfo> nodes(config_.nodes);
  for (int n = 0; n < config_.nodes; ++n) nodes[n] = {"node" + std::to_string(n), G, 0, 0, true};
  sched_.SetNodes(nodes);
  applied_.gpus_per_node.assign(config_.nodes, G);
  free_gpus_.assign(config_.nodes, G);
  result_.total_gpus = config_.nodes * G;

  // Queues: one per tenant, guarantees in proportion to offered GPU-time.
  std::map<std::string, double> offered;
  double offered_total = 0;
  auto tenant_of = [](const TraceJob& t) -> std::string {
    return t.tenant.empty() ? kUnnamedTenant : t.tenant;
  };
  for (const auto& t : trace_) {
    offered[tenant_of(t)] += t.gpus * t.duration_s;
    offered_total += t.gpus * t.duration_s;
  }
  std::vector<sched::QueueConfig> queues;
  for (const auto& [tenant, gpu_s] : offered) {
    sched::QueueConfig q;
    q.name = tenant;
    if (config_.guarantee_fraction > 0 && offered_total > 0)
      q.guaranteed_gpus =
          static_cast<int>(config_.guarantee_fraction * result_.total_gpus * gpu_s / offered_total);
    q.max_gpus = config_.queue_max_gpus;
    if (q.max_gpus >= 0) {
      q.max_gpus = std::max(q.max_gpus, q.guaranteed_gpus);
      applied_.queue_max_gpus[q.name] = q.max_gpus;
    }
    queues.push_back(q);
  }
  queues.push_back({"automl", 0, -1, 1.0});
  queues.push_back({"notebooks", 0, -1, 1.0});
  CORRAL_RETURN_IF_ERROR(sched_.SetQueues(queues));

  const double origin = config_.window_from_s;
  for (const auto& t : trace_) {
    SimJob s;
    s.kind = JobKind::kTrace;
    s.submit_ms = ToMs(t.submit_s - origin);
    // The trace's duration as it is, zero included: a job of 0 s starts and ends in one step
    // (under every policy alike).
    s.work_ms = std::max<int64_t>(0, ToMs(t.duration_s));
    s.gpus = t.gpus;
    if (t.gpus <= G) {
      s.replicas = 1;
      s.per = t.gpus;
    } else if (t.gpus % G == 0) {
      s.replicas = t.gpus / G;
      s.per = G;
    } else {
      s.replicas = t.gpus;
      s.per = 1;
    }
    s.queue = tenant_of(t);
    s.user = t.user.empty() ? s.queue : t.user;
    s.preemptible = config_.preemptible_trace_jobs ||
                    UnitHash(result_.jobs.size()) < config_.checkpointable_share;
    s.limit = config_.estimates == EstimateMode::kOracle ? Duration(s.work_ms)
                                                         : RequestedLimit(t.duration_s);
    s.outcome = static_cast<int>(result_.jobs.size());
    result_.jobs.push_back({t.id,
                            JobKind::kTrace,
                            t.submit_s,
                            -1,
                            -1,
                            t.duration_s,
                            t.gpus,
                            s.queue,
                            s.user,
                            {},
                            0,
                            0});
    const int j = AddJob(std::move(s));
    result_.jobs.back().job = j + 1;
    Push(jobs_[j].submit_ms, EventType::kSubmit, j, 0);
  }
  if (config_.interactive_every_s > 0) {
    const double to = config_.window_to_s > origin ? config_.window_to_s
                      : trace_.empty()             ? origin
                                                   : trace_.back().submit_s;
    for (int64_t k = 1; origin + config_.interactive_every_s * static_cast<double>(k) < to; ++k) {
      const double t = origin + config_.interactive_every_s * static_cast<double>(k);
      SimJob s;
      s.kind = JobKind::kInteractive;
      s.submit_ms = ToMs(t - origin);
      s.work_ms = ToMs(config_.interactive_duration_s);
      s.gpus = 1;
      s.per = 1;
      s.queue = "notebooks";
      s.user = "notebook" + std::to_string(k % 20);
      s.priority = PriorityClass::kInteractive;
      s.limit = Duration(s.work_ms);
      s.outcome = static_cast<int>(result_.jobs.size());
      result_.jobs.push_back({-k,
                              JobKind::kInteractive,
                              t,
                              -1,
                              -1,
                              config_.interactive_duration_s,
                              1,
                              "notebooks",
                              s.user,
                              {},
                              0,
                              0});
      const int j = AddJob(std::move(s));
      result_.jobs.back().job = j + 1;
      Push(jobs_[j].submit_ms, EventType::kSubmit, j, 0);
    }
  }
  open_jobs_ = static_cast<int>(result_.jobs.size());
  const int64_t first_ms = trace_.empty() ? 0 : ToMs(trace_.front().submit_s - origin);
  for (int i = 0; i < config_.filler_jobs; ++i)
    Push(first_ms, EventType::kSubmit, AddFiller(first_ms), 0);

  int64_t last_ms = first_ms;
  bool waiting_gang_fits = false;  // after the last pass
  int64_t last_trace_end_ms = first_ms;
  while (!events_.empty() && open_jobs_ > 0) {
    const int64_t now = events_.top().at_ms;
    const double dt = ToS(now - last_ms);
    if (dt > 0) {
      result_.allocated_gpu_s += allocated_ * dt;
      result_.filler_allocated_gpu_s += filler_allocated_ * dt;
      if (trace_waiting_ > 0) {
        result_.queued_s += dt;
        result_.allocated_while_queued_gpu_s += allocated_ * dt;
        if (waiting_gang_fits) {
          result_.queued_fit_s += dt;
          result_.allocated_while_queued_fit_gpu_s += allocated_ * dt;
        }
      }
    }
    last_ms = now;
    while (!events_.empty() && events_.top().at_ms == now) {
      Event e = events_.top();
      events_.pop();
      SimJob& s = jobs_[e.job];
      switch (e.type) {
        case EventType::kSubmit:
          CORRAL_RETURN_IF_ERROR(Submit(e.job, now));
          break;
        case EventType::kFinish: {
          if (e.attempt != s.attempt || (s.state != State::kRunning && s.state != State::kStopping))
            break;
          Release(e.job);
          EndSegment(e.job, now, SegmentEnd::kFinished);
          s.state = State::kDone;
          result_.lost_gpu_s += s.gpus * ToS(s.penalty_ms);
          sched_.OnFinished(JobId(e.job + 1), At(now));
          if (s.outcome >= 0) {
            result_.jobs[s.outcome].end_s = ToS(now) + origin;
            --open_jobs_;
            if (s.kind == JobKind::kTrace) last_trace_end_ms = std::max(last_trace_end_ms, now);
          }
          if (s.kind == JobKind::kFiller && open_jobs_ > 0) {
            int f = AddFiller(now);
            CORRAL_RETURN_IF_ERROR(Submit(f, now));
          }
          break;
        }
        case EventType::kStop: {
          if (e.attempt != s.attempt || s.state != State::kStopping) break;
          // Progress up to the SIGTERM is kept (the job checkpoints then); the grace period and
          // the restart cost of this attempt are lost.
          const int64_t ran = s.stop_decided_ms - s.run_start_ms;
          const int64_t useful = std::max<int64_t>(0, ran - s.penalty_ms);
          s.done_ms = std::min(s.work_ms, s.done_ms + useful);
          result_.lost_gpu_s += s.gpus * ToS((now - s.run_start_ms) - useful);
          s.penalty_ms = ToMs(config_.checkpoint_cost_s);
          Release(e.job);
          EndSegment(e.job, now, SegmentEnd::kPreempted);
          s.state = State::kPending;
          if (s.kind == JobKind::kTrace) ++trace_waiting_;
          CountWaiting(e.job, +1);
          const JobId id(e.job + 1);
          sched_.OnRequeue(id, At(now));
          // What the scheduler should count as done: the next attempt needs the rest plus the
          // restart cost.
          sched_.OnProgress(id, Duration(std::max<int64_t>(0, s.done_ms - s.penalty_ms)));
          break;
        }
      }
    }
    sched::DecisionBatch batch = sched_.Schedule(At(now));
    ++result_.passes;
    CORRAL_RETURN_IF_ERROR(Apply(batch, now));
    waiting_gang_fits = trace_waiting_ > 0 && SomeWaitingGangFits();
    if (config_.check_every_step || events_.empty()) {
      Status inv = CheckInvariants(applied_);
      if (!inv.ok()) return Fail(now, inv.message());
    }
  }
  Status inv = CheckInvariants(applied_);
  if (!inv.ok()) return Fail(last_ms, inv.message());
  for (int j = 0; j < static_cast<int>(jobs_.size()); ++j) EndSegment(j, last_ms, SegmentEnd::kCut);
  result_.span_s = ToS(last_trace_end_ms - first_ms);
  return std::move(result_);
}

}  // namespace

Duration RequestedLimit(double duration_s) {
  static constexpr double kSteps[] = {900,   1800,  3600,   7200,   14400, 28800,
                                      43200, 86400, 172800, 259200, 604800};
  for (double step : kSteps)
    if (duration_s <= step) return Duration(static_cast<int64_t>(step * 1000));
  const double week = 604800;
  return Duration(static_cast<int64_t>(std::ceil(duration_s / week) * week * 1000));
}

Result<SimResult> Simulate(const std::vector<TraceJob>& trace, sched::Scheduler& scheduler,
                           const ScenarioConfig& config) {
  Run run(trace, scheduler, config);
  return run.Go();
}

}  // namespace corral::sim
