#include "sched/corral_scheduler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sched/placement.h"

namespace corral::sched {
namespace {

double Seconds(Duration d) { return static_cast<double>(d.count()) / 1000.0; }

// 2^(strength * (ratio - 1)), ratio clamped so one idle or greedy tenant cannot dominate.
double ShareFactor(double ratio, double strength) {
  return std::exp2(strength * (std::clamp(ratio, 0.0, 8.0) - 1.0));
}

int RoomIn(int free, int need) {
  if (need <= 0) return std::numeric_limits<int>::max();
  return free < 0 ? 0 : free / need;
}

}  // namespace

CorralScheduler::CorralScheduler(SchedulerOptions options)
    : options_(options), fair_share_(options.fair_share_half_life) {}

void CorralScheduler::SetNodes(std::vector<NodeInfo> nodes) {
  nodes_ = std::move(nodes);
  view_.Reset(nodes_);
  fifo_shadow_.SetCapacity(view_.total_gpus());
  // Claims are re-made by the next pass on the new node list.
  for (JobId id : claim_holders_) {
    auto it = pending_.find(id);
    if (it != pending_.end()) it->second.claim.clear();
  }
  claim_holders_.clear();
  for (auto& [id, r] : running_) {
    // Jobs on nodes or devices that no longer exist stay accounted (queue usage) until they end;
    // only the devices that still exist are marked.
    Placement existing;
    for (const auto& a : r.placement) {
      if (a.node < 0 || a.node >= view_.node_count()) continue;
      ReplicaAssignment kept{a.node, {}};
      for (int g : a.gpus)
        if (g >= 0 && g < view_.gpus_on(a.node) && !view_.owner(a.node, g).valid())
          kept.gpus.push_back(g);
      existing.push_back(std::move(kept));
    }
    (void)view_.Assign(id, existing, r.req.per_replica);
  }
}

Status CorralScheduler::SetQueues(std::vector<QueueConfig> queues) {
  for (size_t i = 0; i < queues.size(); ++i) {
    const auto& q = queues[i];
    std::string field = "queues[" + std::to_string(i) + "]";
    if (q.name.empty()) return InvalidArgument(field + ".name", "queue name is empty");
    if (q.guaranteed_gpus < 0)
      return InvalidArgument(field + ".guaranteed_gpus", "guaranteed GPUs must be >= 0");
    if (q.max_gpus != -1 && q.max_gpus < q.guaranteed_gpus)
      return InvalidArgument(field + ".max_gpus", "max GPUs must be -1 or >= guaranteed GPUs");
    if (!(q.weight > 0)) return InvalidArgument(field + ".weight", "weight must be > 0");
    for (size_t j = 0; j < i; ++j)
      if (queues[j].name == q.name)
        return InvalidArgument(field + ".name", "queue " + q.name + " is listed twice");
  }
  // Queues left out fall back to the defaults; their usage history stays.
  for (auto& q : queues_) q.config = QueueConfig{q.config.name};
  for (auto& q : queues) queues_[QueueIndex(q.name)].config = q;
  return Status::Ok();
}

int CorralScheduler::QueueIndex(const std::string& name) {
  auto it = queue_index_.find(name);
  if (it != queue_index_.end()) return it->second;
  int idx = static_cast<int>(queues_.size());
  QueueState q;
  q.config.name = name;
  q.client = fair_share_.Client("q:" + name);
  queues_.push_back(q);
  queue_index_.emplace(name, idx);
  return idx;
}

int CorralScheduler::UserIndex(int queue, const std::string& user) {
  std::string key = queues_[queue].config.name;
  key.push_back('\x1f');
  key += user;
  auto it = user_index_.find(key);
  if (it != user_index_.end()) return it->second;
  int idx = static_cast<int>(users_.size());
  UserState u;
  u.queue = queue;
  u.client = fair_share_.Client("u:" + key);
  users_.push_back(u);
  user_index_.emplace(std::move(key), idx);
  return idx;
}

int CorralScheduler::queue_used_gpus(const std::string& queue) const {
  auto it = queue_index_.find(queue);
  return it == queue_index_.end() ? 0 : queues_[it->second].used_gpus;
}

bool CorralScheduler::Borrowing(int queue) const {
  return queues_[queue].used_gpus > queues_[queue].config.guaranteed_gpus;
}

bool CorralScheduler::Preemptible(const RunningJob& r) const {
  return r.req.preemptible || r.req.priority == PriorityClass::kOpportunistic;
}

bool CorralScheduler::Reclaimable(const RunningJob& r) const {
  return r.req.priority == PriorityClass::kOpportunistic || r.on_loan;
}

double CorralScheduler::RemainingSeconds(const JobRequest& req, TimePoint started,
                                         TimePoint now) const {
  Duration limit = req.time_limit.value_or(options_.default_time_limit);
  double left = Seconds(limit - req.prior_runtime) - Seconds(now - started);
  // A job past its estimate is assumed to end soon rather than never.
  return std::max(left, 60.0);
}

void CorralScheduler::Account(int queue, int user, int gpus, TimePoint now) {
  queues_[queue].used_gpus += gpus;
  fair_share_.Allocate(queues_[queue].client, gpus, now);
  fair_share_.Allocate(users_[user].client, gpus, now);
}

Status CorralScheduler::CheckFeasible(const JobRequest& job) const {
  const int total = job.total_gpus();
  auto qit = queue_index_.find(job.queue);
  if (qit != queue_index_.end()) {
    const QueueConfig& qc = queues_[qit->second].config;
    if (qc.max_gpus >= 0 && total > qc.max_gpus)
      return {StatusCode::kInfeasible,
              "job asks for " + std::to_string(total) + " GPUs but queue " + qc.name +
                  " allows at most " + std::to_string(qc.max_gpus),
              "resources.gpus"};
  }
  // Whether the gang could ever fit, counting every node (down ones may come back).
  const Resources& per = job.per_replica;
  long room = 0;
  int largest = 0, largest_cpus = 0;
  int64_t largest_memory = 0;
  for (const auto& n : nodes_) {
    largest = std::max(largest, n.gpus);
    largest_cpus = std::max(largest_cpus, n.cpus);
    largest_memory = std::max(largest_memory, n.memory_mb);
    long r = RoomIn(n.gpus, per.gpus);
    if (n.cpus > 0) r = std::min<long>(r, RoomIn(n.cpus, per.cpus));
    if (n.memory_mb > 0 && per.memory_mb > 0) r = std::min<long>(r, n.memory_mb / per.memory_mb);
    room += std::min<long>(r, job.replicas);
  }
  if (room >= job.replicas) return Status::Ok();
  if (per.gpus > largest)
    return {StatusCode::kInfeasible,
            "each replica asks for " + std::to_string(per.gpus) +
                " GPUs but the largest node has " + std::to_string(largest),
            "resources.gpus"};
  if (largest_cpus > 0 && per.cpus > largest_cpus)
    return {StatusCode::kInfeasible,
            "each replica asks for " + std::to_string(per.cpus) +
                " CPUs but the largest node has " + std::to_string(largest_cpus),
            "resources.cpus"};
  if (largest_memory > 0 && per.memory_mb > largest_memory)
    return {StatusCode::kInfeasible,
            "each replica asks for " + std::to_string(per.memory_mb) +
                " MB of memory but the largest node has " + std::to_string(largest_memory),
            "resources.memory_mb"};
  if (total > view_.total_gpus())
    return {StatusCode::kInfeasible,
            "the job asks for " + std::to_string(total) + " GPUs in all but the cluster has " +
                std::to_string(view_.total_gpus()),
            "replicas"};
  return {StatusCode::kInfeasible,
          "no set of nodes can hold " + std::to_string(job.replicas) + " replicas of " +
              std::to_string(per.gpus) + " GPUs, " + std::to_string(per.cpus) + " CPUs and " +
              std::to_string(per.memory_mb) + " MB each",
          "replicas"};
}

Status CorralScheduler::OnSubmit(const JobRequest& job) {
  if (!job.id.valid()) return InvalidArgument("id", "job id must be positive");
  if (job.replicas < 1) return InvalidArgument("replicas", "a job needs at least one replica");
  if (job.per_replica.gpus < 0 || job.per_replica.cpus < 0 || job.per_replica.memory_mb < 0)
    return InvalidArgument("resources", "resources must not be negative");
  if (pending_.count(job.id) || running_.count(job.id))
    return {StatusCode::kAlreadyExists, "job " + std::to_string(job.id.value) + " is known"};

  CORRAL_RETURN_IF_ERROR(CheckFeasible(job));

  PendingJob p;
  p.req = job;
  p.queue = QueueIndex(job.queue);
  p.user = UserIndex(p.queue, job.user);
  p.waiting_since = job.submitted;
  SetDeadline(p, job.submitted);
  queues_[p.queue].pending_jobs++;
  users_[p.user].pending_jobs++;
  pending_.emplace(job.id, std::move(p));
  return Status::Ok();
}

Status CorralScheduler::OnRestore(const JobRequest& job, const Placement& placement,
                                  TimePoint started) {
  if (pending_.count(job.id) || running_.count(job.id))
    return {StatusCode::kAlreadyExists, "job " + std::to_string(job.id.value) + " is known"};
  if (static_cast<int>(placement.size()) != job.replicas)
    return FailedPrecondition("restored placement has " + std::to_string(placement.size()) +
                              " replicas, the job " + std::to_string(job.replicas));
  CORRAL_RETURN_IF_ERROR(view_.Assign(job.id, placement, job.per_replica));
  RunningJob r;
  r.req = job;
  r.placement = placement;
  r.started = started;
  r.queue = QueueIndex(job.queue);
  r.user = UserIndex(r.queue, job.user);
  users_[r.user].running_jobs++;
  Account(r.queue, r.user, job.total_gpus(), started);
  running_.emplace(job.id, std::move(r));
  return Status::Ok();
}

void CorralScheduler::SetDeadline(PendingJob& job, TimePoint since) {
  job.deadline = since;
  if (options_.fifo_deadline_factor <= 0 || job.req.priority == PriorityClass::kOpportunistic)
    return;
  const double estimate_s = RemainingSeconds(job.req, since, since);
  job.deadline = fifo_shadow_.Admit(since, job.req.total_gpus(),
                                    Duration(static_cast<int64_t>(estimate_s * 1000)));
}

void CorralScheduler::MarkUrgent(TimePoint now) {
  const Duration floor = std::max(
      options_.fifo_deadline_min_wait,
      Duration(static_cast<int64_t>(options_.fifo_max_wait_factor *
                                    static_cast<double>(fifo_shadow_.max_wait().count()))));
  by_age_.clear();
  for (auto& [id, p] : pending_) {
    p.urgent = false;
    if (p.req.priority != PriorityClass::kOpportunistic) by_age_.push_back(&p);
  }
  // Only the lookahead depends on the order (what is ahead of a job); without it each job is
  // judged on its own and the sort is skipped (it is most of the cost at 100,000 pending jobs).
  if (options_.fifo_backlog_lookahead > 0)
    std::sort(by_age_.begin(), by_age_.end(), [](const PendingJob* a, const PendingJob* b) {
      return a->waiting_since != b->waiting_since ? a->waiting_since < b->waiting_since
                                                  : a->req.id.value < b->req.id.value;
    });
  // Oldest first: a job is urgent once its wait plus the time the urgent work ahead of it takes
  // to run on the whole cluster reaches its due wait, so that it is not first noticed when it is
  // already late behind a queue of other late jobs.
  const double gpus = std::max(1, view_.total_gpus());
  double ahead_s = 0;
  for (PendingJob* p : by_age_) {
    const Duration due =
        std::max(floor, Duration(static_cast<int64_t>(
                            options_.fifo_deadline_factor *
                            static_cast<double>((p->deadline - p->waiting_since).count()))));
    const double waited_s = std::chrono::duration<double>(now - p->waiting_since).count();
    const double due_s = std::chrono::duration<double>(due).count();
    if (waited_s + options_.fifo_backlog_lookahead * ahead_s / gpus < due_s) continue;
    p->urgent = true;
    ahead_s += p->req.total_gpus() * RemainingSeconds(p->req, now, now);
  }
}

void CorralScheduler::DropClaim(PendingJob& job) {
  if (job.claim.empty()) return;
  view_.Unclaim(job.req.id, job.claim);
  job.claim.clear();
  std::erase(claim_holders_, job.req.id);
}

void CorralScheduler::OnFinished(JobId job, TimePoint now) {
  if (auto it = running_.find(job); it != running_.end()) {
    RunningJob& r = it->second;
    view_.Unassign(job, r.placement, r.req.per_replica);
    Account(r.queue, r.user, -r.req.total_gpus(), now);
    users_[r.user].running_jobs--;
    running_.erase(it);
    return;
  }
  if (auto it = pending_.find(job); it != pending_.end()) {
    DropClaim(it->second);
    queues_[it->second.queue].pending_jobs--;
    users_[it->second.user].pending_jobs--;
    pending_.erase(it);
  }
}

void CorralScheduler::OnRequeue(JobId job, TimePoint now) {
  auto it = running_.find(job);
  if (it == running_.end()) return;
  RunningJob r = std::move(it->second);
  running_.erase(it);
  view_.Unassign(job, r.placement, r.req.per_replica);
  Account(r.queue, r.user, -r.req.total_gpus(), now);
  users_[r.user].running_jobs--;
  PendingJob p;
  p.req = std::move(r.req);
  if (now > r.started) p.req.prior_runtime += now - r.started;
  p.queue = r.queue;
  p.user = r.user;
  p.waiting_since = now;
  // Not admitted to the FIFO shadow again (a job FIFO would never have stopped would count
  // twice there and push every deadline out): it is due after the same wait as the first time.
  p.deadline = now + r.fifo_wait;
  queues_[p.queue].pending_jobs++;
  users_[p.user].pending_jobs++;
  pending_.emplace(job, std::move(p));
}

void CorralScheduler::OnProgress(JobId job, Duration banked) {
  if (auto it = pending_.find(job); it != pending_.end()) it->second.req.prior_runtime = banked;
  if (auto it = running_.find(job); it != running_.end()) it->second.req.prior_runtime = banked;
}

void CorralScheduler::Start(PendingJob& job, Placement placement, TimePoint now, DecisionBatch& out,
                            bool on_loan) {
  const JobId id = job.req.id;
  Status s = view_.Assign(id, placement, job.req.per_replica);
  if (!s.ok()) return;  // cannot happen: placements come from usable GPUs
  if (!job.claim.empty()) DropClaim(job);
  RunningJob r;
  r.req = std::move(job.req);
  r.placement = placement;
  r.started = now;
  r.queue = job.queue;
  r.user = job.user;
  r.on_loan = on_loan;
  r.fifo_wait = job.deadline - job.waiting_since;
  queues_[r.queue].pending_jobs--;
  users_[r.user].pending_jobs--;
  users_[r.user].running_jobs++;
  Account(r.queue, r.user, r.req.total_gpus(), now);
  running_.emplace(id, std::move(r));
  pending_.erase(id);
  out.starts.push_back({id, std::move(placement)});
}

void CorralScheduler::StartOnLoan(PendingJob& job, Placement placement, TimePoint now,
                                  DecisionBatch& out) {
  // Reservations already planned this pass count its GPUs as free now, like those of every loan.
  if (releases_ready_[1]) {
    std::vector<Release> freed;
    for (const auto& a : placement) freed.push_back({now, a.node, static_cast<int>(a.gpus.size())});
    releases_[1].insert(releases_[1].begin(), freed.begin(), freed.end());
  }
  Start(job, std::move(placement), now, out, /*on_loan=*/true);
}

void CorralScheduler::StartClaimed(TimePoint now, DecisionBatch& out) {
  std::vector<JobId> holders = claim_holders_;
  for (JobId id : holders) {
    auto it = pending_.find(id);
    if (it == pending_.end()) {
      std::erase(claim_holders_, id);
      continue;
    }
    PendingJob& p = it->second;
    bool ready = true;
    for (const auto& a : p.claim)
      for (int g : a.gpus)
        if (!view_.up(a.node) || view_.owner(a.node, g).valid()) ready = false;
    if (ready) {
      Placement placement = p.claim;
      Start(p, std::move(placement), now, out);
    } else if (now - p.claim_since > options_.claim_timeout) {
      DropClaim(p);
    }
  }
}

void CorralScheduler::ComputeDrain(TimePoint now) {
  drain_.assign(view_.node_count(), now);
  for (const auto& [id, r] : running_) {
    if (Reclaimable(r)) continue;
    const TimePoint end =
        now + Duration(static_cast<int64_t>(RemainingSeconds(r.req, r.started, now) * 1000));
    ExtendDrain(r.placement, end);
  }
}

void CorralScheduler::ExtendDrain(const Placement& placement, TimePoint end) {
  for (const auto& a : placement)
    if (a.node >= 0 && a.node < static_cast<int>(drain_.size()) && !a.gpus.empty())
      drain_[a.node] = std::max(drain_[a.node], end);
}

uint32_t CorralScheduler::PassReservations::Binding(TimePoint end) const {
  uint32_t mask = 0;
  for (size_t i = 0; i < list.size(); ++i)
    if (end >= list[i].start) mask |= 1u << i;
  return mask;
}

int CorralScheduler::PassReservations::Cap(int node, uint32_t mask, int gpus) const {
  for (size_t i = 0; mask != 0; ++i, mask >>= 1)
    if (mask & 1u) gpus = std::min(gpus, list[i].spare[node]);
  return gpus;
}

void CorralScheduler::PassReservations::Take(const Placement& placement, uint32_t mask) {
  for (size_t i = 0; mask != 0; ++i, mask >>= 1)
    if (mask & 1u)
      for (const auto& a : placement) list[i].spare[a.node] -= static_cast<int>(a.gpus.size());
}

std::optional<Placement> CorralScheduler::TryPlace(const PendingJob& job,
                                                   const PassReservations& reservations,
                                                   uint32_t mask, TimePoint now, TimePoint end,
                                                   bool guard_drain) const {
  const Resources& per = job.req.per_replica;
  if (per.gpus > 0 && view_.replica_room(per.gpus) < job.req.replicas) return std::nullopt;
  auto room = [&](int n) {
    int gpus = view_.usable_gpus(n);
    if (!view_.up(n)) return NodeRoom{0, 0};
    int cap_gpus = mask ? reservations.Cap(n, mask, gpus) : gpus;
    long r = RoomIn(cap_gpus, per.gpus);
    if (view_.node(n).cpus > 0) r = std::min<long>(r, RoomIn(view_.free_cpus(n), per.cpus));
    if (view_.node(n).memory_mb > 0 && per.memory_mb > 0)
      r = std::min<long>(r, std::max<int64_t>(0, view_.free_memory_mb(n)) / per.memory_mb);
    r = std::min<long>(r, job.req.replicas);
    if (guard_drain && guarded_[n] && end > drain_[n] + options_.drain_guard_extension)
      return NodeRoom{0, gpus, 0.0};
    return RoomWithDrain(n, static_cast<int>(r), job.req.replicas, gpus, end);
  };
  return PlaceGang(view_, job.req.replicas, per.gpus, room);
}

NodeRoom CorralScheduler::RoomWithDrain(int n, int replicas_here, int replicas, int free_gpus,
                                        TimePoint end) const {
  // Only nodes that hold the whole gang are compared by drain: how much later the node would be
  // entirely free with this job on it, and how long it stays busy after the job. Jobs placed
  // where they end before what already runs there let nodes drain whole for large gangs.
  if (replicas_here < replicas || !options_.align_drain) return NodeRoom{replicas_here, free_gpus};
  return NodeRoom{replicas_here, free_gpus, std::max(0.0, Seconds(end - drain_[n])),
                  std::max(0.0, Seconds(drain_[n] - end))};
}

std::optional<Reservation> CorralScheduler::Reserve(const PendingJob& job, TimePoint now,
                                                    const std::vector<int>& held) {
  std::vector<int> usable(view_.node_count());
  for (int n = 0; n < view_.node_count(); ++n) usable[n] = view_.usable_gpus(n);
  const bool may_preempt_opportunistic = job.req.priority > PriorityClass::kOpportunistic;
  std::vector<Release>& releases = releases_[may_preempt_opportunistic ? 1 : 0];
  if (releases_ready_[may_preempt_opportunistic ? 1 : 0])
    return EarliestStart(now, usable, releases, held, job.req.replicas, job.req.per_replica.gpus);
  releases_ready_[may_preempt_opportunistic ? 1 : 0] = true;
  releases.clear();
  releases.reserve(running_.size() * 2);
  for (const auto& [id, r] : running_) {
    if (r.preempting) continue;  // its GPUs are claimed for someone else
    TimePoint end;
    // Loans are normal-class work, and only jobs of at least the normal class hold reservations.
    if (may_preempt_opportunistic && Reclaimable(r)) {
      end = now;
    } else {
      end = now + Duration(static_cast<int64_t>(RemainingSeconds(r.req, r.started, now) * 1000));
    }
    for (const auto& a : r.placement) {
      if (a.node < 0 || a.node >= view_.node_count() || !view_.up(a.node)) continue;
      int count = 0;
      for (int g : a.gpus)
        if (g < view_.gpus_on(a.node) && !view_.claimant(a.node, g).valid()) ++count;
      if (count > 0) releases.push_back({end, a.node, count});
    }
  }
  std::sort(releases.begin(), releases.end(),
            [](const Release& a, const Release& b) { return a.at < b.at; });
  return EarliestStart(now, usable, releases, held, job.req.replicas, job.req.per_replica.gpus);
}

bool CorralScheduler::TryPreempt(PendingJob& job, TimePoint now, DecisionBatch& out,
                                 PassReservations& reservations, uint32_t mask, TimePoint end,
                                 bool guard_drain, bool recall_loans, bool& kept_for_large) {
  kept_for_large = false;
  const JobRequest& req = job.req;
  const int per = req.per_replica.gpus;
  if (per <= 0) return false;
  const int need_gpus = req.total_gpus();
  const QueueState& own = queues_[job.queue];
  const bool reclaiming = own.used_gpus + need_gpus <= own.config.guaranteed_gpus;
  const bool interactive = req.priority == PriorityClass::kInteractive;
  const double own_gpu_s = need_gpus * RemainingSeconds(req, now, now);

  struct Victim {
    int group;
    double elapsed_s;
    RunningJob* job;
    PreemptCause cause;
  };
  std::vector<Victim> victims;
  int victim_gpus = 0;
  for (auto& [id, r] : running_) {
    if (r.preempting) continue;
    const double elapsed = Seconds(now - r.started);
    // Capacity a queue borrows is lent, not given: the lender takes it back for its guarantee
    // whether or not the borrowing job asked to be preemptible. Every other cause needs consent.
    if (r.req.priority == PriorityClass::kOpportunistic && req.priority > r.req.priority) {
      victims.push_back({0, elapsed, &r, PreemptCause::kOpportunistic});
    } else if (r.on_loan && recall_loans && req.priority >= r.req.priority) {
      victims.push_back({0, elapsed, &r, PreemptCause::kLoanRecalled});
    } else if (interactive && Preemptible(r) && r.req.priority < req.priority &&
               Borrowing(r.queue)) {
      victims.push_back({1, elapsed, &r, PreemptCause::kInteractive});
    } else if (reclaiming && r.queue != job.queue && r.req.priority <= req.priority &&
               Borrowing(r.queue)) {
      victims.push_back({1, elapsed, &r, PreemptCause::kReclaim});
    } else if (options_.shorter_job_ratio > 0 && Preemptible(r) && r.req.priority <= req.priority &&
               now - r.started >= options_.min_run_before_preemption &&
               r.req.total_gpus() * RemainingSeconds(r.req, r.started, now) >
                   options_.shorter_job_ratio * own_gpu_s) {
      victims.push_back({2, elapsed, &r, PreemptCause::kShorterJob});
    } else {
      continue;
    }
    victim_gpus += r.req.total_gpus();
  }
  if (victim_gpus + view_.total_usable() < need_gpus) return false;
  // Least progress lost first: the most recently started within each group.
  std::sort(victims.begin(), victims.end(), [](const Victim& a, const Victim& b) {
    if (a.group != b.group) return a.group < b.group;
    if (a.elapsed_s != b.elapsed_s) return a.elapsed_s < b.elapsed_s;
    return a.job->req.id < b.job->req.id;
  });

  std::vector<int> count(view_.node_count());
  // The drain guard holds here too: otherwise a small job held off a guarded node by TryPlace
  // would take it anyway by preempting the opportunistic work that fills its idle GPUs.
  auto unguarded = [&](int n) {
    return mask ? std::max(0, reservations.Cap(n, mask, count[n])) : count[n];
  };
  auto capped = [&](int n) {
    if (guard_drain && guarded_[n] && end > drain_[n] + options_.drain_guard_extension) return 0;
    return unguarded(n);
  };
  int room = 0;
  for (int n = 0; n < view_.node_count(); ++n) {
    count[n] = view_.usable_gpus(n);
    room += capped(n) / per;
  }
  std::unordered_map<JobId, PreemptCause> chosen;
  // Position in the victim order: among the offered GPUs of a node, least progress lost first.
  std::unordered_map<JobId, int> rank;
  std::vector<int> queue_left(queues_.size());
  for (size_t q = 0; q < queues_.size(); ++q) queue_left[q] = queues_[q].used_gpus;
  for (const Victim& v : victims) {
    // Opportunistic work is all offered, so the nodes are chosen as for free GPUs (by drain, then
    // fit) rather than wherever the most recent trial runs; only what the placement uses stops.
    if (room >= req.replicas && v.group > 0) break;
    const RunningJob& r = *v.job;
    // Borrowed capacity is taken back only down to the lender's guarantee.
    if (v.group == 1 &&
        queue_left[r.queue] - r.req.total_gpus() < queues_[r.queue].config.guaranteed_gpus)
      continue;
    queue_left[r.queue] -= r.req.total_gpus();
    chosen.emplace(r.req.id, v.cause);
    rank.emplace(r.req.id, static_cast<int>(rank.size()));
    for (const auto& a : r.placement) {
      if (a.node < 0 || a.node >= view_.node_count() || !view_.up(a.node)) continue;
      room -= capped(a.node) / per;
      for (int g : a.gpus)
        if (g < view_.gpus_on(a.node) && view_.owner(a.node, g) == r.req.id &&
            !view_.claimant(a.node, g).valid())
          ++count[a.node];
      room += capped(a.node) / per;
    }
  }
  if (room < req.replicas) {
    // Held off guarded nodes only: it waits for another slot, like a placement the guard refuses.
    if (guard_drain) {
      int open = 0;
      for (int n = 0; n < view_.node_count(); ++n) open += unguarded(n) / per;
      kept_for_large = open >= req.replicas;
    }
    return false;
  }
  auto shares = ChooseNodes(view_.node_count(), req.replicas, per, [&](int n) {
    return RoomWithDrain(n, std::min(capped(n) / per, req.replicas), req.replicas, count[n], end);
  });
  if (!shares) return false;
  auto placement = MaterializeGpus(view_, *shares, per, [&](int n, int g) {
    if (!view_.up(n) || view_.claimant(n, g).valid()) return -1;
    JobId o = view_.owner(n, g);
    if (!o.valid()) return 0;
    auto it = rank.find(o);
    return it == rank.end() ? -1 : 1 + it->second;
  });
  if (!placement) return false;
  std::vector<JobId> used;
  for (const auto& a : *placement)
    for (int g : a.gpus) {
      JobId o = view_.owner(a.node, g);
      if (o.valid() && std::find(used.begin(), used.end(), o) == used.end()) used.push_back(o);
    }
  // Nothing to preempt means it fits on free GPUs that the reservation keeps for another job.
  if (used.empty()) return false;

  Duration longest_grace{0};
  for (JobId v : used) {
    RunningJob& r = running_.at(v);
    r.preempting = true;
    PreemptDecision d;
    d.job = v;
    d.cause = chosen.at(v);
    d.for_job = req.id;
    d.grace = r.req.priority == PriorityClass::kOpportunistic ? options_.opportunistic_grace
                                                              : options_.preemption_grace;
    longest_grace = std::max(longest_grace, d.grace);
    switch (d.cause) {
      case PreemptCause::kOpportunistic:
        d.reason = "opportunistic work yields to job " + std::to_string(req.id.value);
        break;
      case PreemptCause::kInteractive:
        d.reason = "interactive job " + std::to_string(req.id.value) + " needs GPUs";
        break;
      case PreemptCause::kReclaim:
        d.reason = "queue " + queues_[r.queue].config.name + " borrows; queue " + own.config.name +
                   " reclaims its guarantee";
        break;
      case PreemptCause::kShorterJob:
        d.reason = "a much shorter job (" + std::to_string(req.id.value) + ") waits";
        break;
      case PreemptCause::kLoanRecalled:
        d.reason =
            "it ran on GPUs held for job " + std::to_string(req.id.value) + ", which can now start";
        break;
    }
    out.preemptions.push_back(std::move(d));
  }
  reservations.Take(*placement, mask);
  job.claim = std::move(*placement);
  job.claim_since = now;
  view_.Claim(req.id, job.claim);
  claim_holders_.push_back(req.id);
  job.wait = {WaitCause::kDrainingVictims, static_cast<int>(used.size()), now + longest_grace, {}};
  return true;
}

DecisionBatch CorralScheduler::Schedule(TimePoint now) {
  DecisionBatch out;
  last_pass_ = now;
  if (!claim_holders_.empty()) StartClaimed(now, out);
  if (pending_.empty()) return out;
  ComputeDrain(now);
  // Fair-share factors for this pass: a queue's share of recent GPU-time against its share of the
  // weights of active queues; likewise a user's within the queue among its active users.
  std::vector<double> queue_factor(queues_.size(), 1.0);
  {
    double total_usage = 0, active_weight = 0;
    std::vector<double> usage(queues_.size());
    for (size_t q = 0; q < queues_.size(); ++q) {
      usage[q] = fair_share_.Usage(queues_[q].client, now);
      total_usage += usage[q];
      if (queues_[q].pending_jobs > 0 || queues_[q].used_gpus > 0)
        active_weight += queues_[q].config.weight;
    }
    for (size_t q = 0; q < queues_.size(); ++q) {
      double ratio = 0;
      if (total_usage > 0 && active_weight > 0)
        ratio = (usage[q] / total_usage) / (queues_[q].config.weight / active_weight);
      queue_factor[q] = ShareFactor(ratio, options_.queue_share_strength);
    }
  }
  std::vector<double> user_factor(users_.size(), 1.0);
  {
    std::vector<double> queue_user_usage(queues_.size(), 0);
    std::vector<int> active_users(queues_.size(), 0);
    std::vector<double> usage(users_.size());
    for (size_t u = 0; u < users_.size(); ++u) {
      usage[u] = fair_share_.Usage(users_[u].client, now);
      queue_user_usage[users_[u].queue] += usage[u];
      if (users_[u].pending_jobs > 0 || users_[u].running_jobs > 0) active_users[users_[u].queue]++;
    }
    for (size_t u = 0; u < users_.size(); ++u) {
      int q = users_[u].queue;
      double ratio = 0;
      if (queue_user_usage[q] > 0 && active_users[q] > 0)
        ratio = usage[u] / queue_user_usage[q] * active_users[q];
      user_factor[u] = ShareFactor(ratio, options_.user_share_strength);
    }
  }

  Duration backlog_age{0};
  if (options_.backlog_starvation_factor > 0 && view_.total_gpus() > 0) {
    double backlog_gpu_s = 0;
    for (const auto& [id, p] : pending_)
      if (p.req.priority != PriorityClass::kOpportunistic)
        backlog_gpu_s += p.req.total_gpus() * RemainingSeconds(p.req, now, now);
    backlog_age = Duration(static_cast<int64_t>(options_.backlog_starvation_factor * 1000 *
                                                backlog_gpu_s / view_.total_gpus()));
  }
  if (options_.fifo_deadline_factor > 0) MarkUrgent(now);
  order_.clear();
  order_.reserve(pending_.size());
  // Whole nodes the waiting large gangs fill, for the drain guard.
  int large_nodes_needed = 0;
  const int node_gpus = std::max(1, view_.max_node_gpus());
  for (auto& [id, p] : pending_) {
    if (!p.claim.empty()) continue;
    const JobRequest& r = p.req;
    const int gpus = r.total_gpus();
    if (gpus >= options_.large_job_gpus && r.priority != PriorityClass::kOpportunistic)
      large_nodes_needed += (gpus + node_gpus - 1) / node_gpus;
    const double remaining_s = RemainingSeconds(r, now, now);
    const Duration age =
        std::max(backlog_age, options_.large_job_gpus > 0 && gpus >= options_.large_job_gpus
                                  ? options_.large_job_starvation_age
                                  : options_.starvation_age);
    bool starving = r.priority != PriorityClass::kOpportunistic;
    if (options_.fifo_deadline_factor > 0) {
      starving = starving && p.urgent;
    } else {
      starving = starving && now - p.waiting_since >= age;
    }
    const QueueState& q = queues_[p.queue];
    const bool within_guarantee = q.used_gpus + gpus <= q.config.guaranteed_gpus;
    // band: priority class, then starving, then within guarantee (lower sorts first)
    int band =
        (3 - static_cast<int>(r.priority)) * 4 + (starving ? 0 : 2) + (within_guarantee ? 0 : 1);
    double key;
    if (starving) {
      key = static_cast<double>(
          ToMillis(options_.fifo_deadline_factor > 0 ? p.deadline : p.waiting_since));
    } else {
      key = std::max(gpus, 1) * remaining_s * queue_factor[p.queue] * user_factor[p.user];
    }
    order_.push_back({band, key, id.value, remaining_s, &p});
  }
  std::sort(order_.begin(), order_.end(), [](const OrderEntry& a, const OrderEntry& b) {
    if (a.band != b.band) return a.band < b.band;
    if (a.key != b.key) return a.key < b.key;
    return a.id < b.id;
  });

  // While large gangs wait, the nodes about to drain first are kept for them (see TryPlace).
  guarded_.assign(view_.node_count(), false);
  const bool large_waiting = options_.drain_guard_extension > Duration(0) && large_nodes_needed > 0;
  if (large_waiting) {
    std::vector<int> soonest;
    for (int n = 0; n < view_.node_count(); ++n)
      if (view_.up(n) && drain_[n] < now + options_.drain_guard_horizon) soonest.push_back(n);
    const size_t keep = std::min(
        soonest.size(), static_cast<size_t>(std::ceil(large_nodes_needed *
                                                      std::max(0.0, options_.drain_guard_nodes))));
    std::partial_sort(soonest.begin(), soonest.begin() + keep, soonest.end(), [&](int a, int b) {
      return drain_[a] != drain_[b] ? drain_[a] < drain_[b] : a < b;
    });
    for (size_t i = 0; i < keep; ++i) guarded_[soonest[i]] = true;
  }

  // Shapes that did not fit this pass; free room only shrinks within a pass, so they stay
  // unplaceable and the check is skipped for later jobs of the same shape.
  std::vector<Shape> failed_free;
  // A shape that failed under some reservations fails under any superset of them.
  struct SpareFailure {
    Shape shape;
    uint32_t mask;
  };
  std::vector<SpareFailure> failed_spare;
  // A shape held off draining nodes when ending at `end` is held off for any later end too (more
  // nodes are guarded and more reservations bind).
  struct HeldBack {
    Shape shape;
    uint32_t mask;
    TimePoint end;
  };
  std::vector<HeldBack> held_back;
  struct PreemptKey {
    Shape shape;
    int priority;
    int queue;
    uint32_t mask;
    bool recall_loans;
    bool operator==(const PreemptKey&) const = default;
  };
  std::vector<PreemptKey> failed_preempt;
  PassReservations reservations;
  releases_ready_[0] = releases_ready_[1] = false;
  const size_t max_reservations = static_cast<size_t>(std::clamp(options_.max_reservations, 1, 32));
  int preemption_attempts = 0;

  for (const OrderEntry& e : order_) {
    PendingJob& p = *e.job;
    const JobRequest& r = p.req;
    const int gpus = r.total_gpus();
    const QueueState& q = queues_[p.queue];
    if (q.config.max_gpus >= 0 && q.used_gpus + gpus > q.config.max_gpus) {
      p.wait = {WaitCause::kQueueAtLimit, q.config.max_gpus, {}, {}};
      continue;
    }
    const Shape shape{r.replicas, r.per_replica.gpus, r.per_replica.cpus, r.per_replica.memory_mb};
    const bool starving = e.band % 4 < 2;  // see the band above
    const TimePoint end = now + Duration(static_cast<int64_t>(e.remaining_s * 1000));
    // Opportunistic work ignores reservations: the reserved job preempts it when due.
    const uint32_t mask =
        r.priority == PriorityClass::kOpportunistic ? 0u : reservations.Binding(end);
    const bool free_failure =
        std::find(failed_free.begin(), failed_free.end(), shape) != failed_free.end();
    bool known_failure = free_failure;
    for (size_t i = 0; !known_failure && mask && i < failed_spare.size(); ++i)
      known_failure =
          failed_spare[i].shape == shape && (mask & failed_spare[i].mask) == failed_spare[i].mask;
    // Starving jobs, large gangs themselves and opportunistic work are not held back.
    const bool guard_drain = large_waiting && !starving && gpus < options_.large_job_gpus &&
                             r.priority != PriorityClass::kOpportunistic;
    // Preemptible normal-class work held back by a reservation or the guard runs on loan.
    const bool may_borrow = options_.lend_held_gpus && r.preemptible &&
                            r.priority == PriorityClass::kNormal && (mask || guard_drain);
    // Placed on free GPUs ignoring the reservations and the guard; a failure there is a failure
    // on free GPUs for every later job of the shape.
    auto start_on_loan = [&] {
      if (!free_failure && gpus <= view_.total_usable()) {
        if (auto loan = TryPlace(p, reservations, 0, now, end, false)) {
          StartOnLoan(p, std::move(*loan), now, out);
          return true;
        }
        failed_free.push_back(shape);
      }
      return false;
    };
    bool kept_back = false;
    for (size_t i = 0; guard_drain && !known_failure && i < held_back.size(); ++i)
      kept_back = held_back[i].shape == shape && end >= held_back[i].end &&
                  (mask & held_back[i].mask) == held_back[i].mask;
    if (may_borrow && (known_failure || kept_back) && start_on_loan()) continue;
    if (kept_back) {
      p.wait = {WaitCause::kKeptForLargeJob, 0, {}, {}};
      continue;
    }
    if (!known_failure && gpus <= view_.total_usable()) {
      auto placement = TryPlace(p, reservations, mask, now, end, guard_drain);
      if (placement) {
        reservations.Take(*placement, mask);
        if (r.priority != PriorityClass::kOpportunistic) ExtendDrain(*placement, end);
        Start(p, std::move(*placement), now, out);
        continue;
      }
      if (may_borrow && start_on_loan()) continue;
      // Held back by the guard alone: it waits for a better slot, without a reservation (which
      // would claim the very GPUs the guard keeps for the large gang).
      if (guard_drain && TryPlace(p, reservations, mask, now, end, false)) {
        // One entry per shape and mask, with the earliest end held back.
        auto it = std::find_if(held_back.begin(), held_back.end(), [&](const HeldBack& h) {
          return h.shape == shape && h.mask == mask;
        });
        if (it == held_back.end())
          held_back.push_back({shape, mask, end});
        else
          it->end = std::min(it->end, end);
        p.wait = {WaitCause::kKeptForLargeJob, 0, {}, {}};
        continue;
      }
      if (mask)
        failed_spare.push_back({shape, mask});
      else
        failed_free.push_back(shape);
    } else if (!known_failure) {
      failed_free.push_back(shape);
    }
    // Large gangs always look for victims: they are the jobs that opportunistic work, filling
    // every idle GPU, would otherwise keep out, and the small jobs ahead of them in the order can
    // use up the per-pass budget by preempting it one GPU at a time.
    const bool large = options_.large_job_gpus > 0 && gpus >= options_.large_job_gpus;
    // The job that gets (or would get) the reservation takes back what was lent on it, as does a
    // large gang the guard keeps nodes for.
    const bool would_reserve =
        reservations.list.size() < max_reservations &&
        (reservations.list.empty() || (starving && gpus >= options_.large_job_gpus));
    const bool recall_loans = would_reserve || large;
    bool searched = false;
    if (r.priority != PriorityClass::kOpportunistic &&
        (large || preemption_attempts < options_.max_preemption_attempts_per_pass)) {
      searched = true;
      // Victims are freed only by starts, so a shape that found none stays without for jobs of
      // the same class and queue in this pass.
      const PreemptKey key{shape, static_cast<int>(r.priority), p.queue, mask, recall_loans};
      if (std::find(failed_preempt.begin(), failed_preempt.end(), key) == failed_preempt.end()) {
        ++preemption_attempts;
        bool kept_for_large = false;
        if (TryPreempt(p, now, out, reservations, mask, end, guard_drain, recall_loans,
                       kept_for_large))
          continue;
        if (kept_for_large) {
          p.wait = {WaitCause::kKeptForLargeJob, 0, {}, {}};
          continue;
        }
        if (options_.shorter_job_ratio <= 0) failed_preempt.push_back(key);
      }
    }
    // The first job that cannot start holds a reservation; after it, large starving gangs too.
    if (would_reserve && r.priority != PriorityClass::kOpportunistic && r.per_replica.gpus > 0) {
      if (reservations.held.empty()) reservations.held.assign(view_.node_count(), 0);
      auto reservation = Reserve(p, now, reservations.held);
      // A job that was not searched for victims (budget spent) may be due now only because the
      // reservation counts opportunistic work as free: it preempts that in a later pass and
      // leaves the reservation to a job that has to wait for running work to end.
      if (reservation && !searched && reservation->start <= now) reservation.reset();
      if (reservation) {
        for (const auto& share : reservation->shares)
          reservations.held[share.node] += share.replicas * r.per_replica.gpus;
        p.wait = {WaitCause::kReserved, 0, reservation->start, {}};
        reservations.list.push_back(std::move(*reservation));
        reservations.holders.push_back(r.id);
        continue;
      }
    }
    if (!reservations.list.empty())
      p.wait = {WaitCause::kNoRoom, 0, reservations.list[0].start, reservations.holders[0]};
    else
      p.wait = {WaitCause::kNoRoomUnreserved, 0, {}, {}};
  }
  return out;
}

std::string CorralScheduler::PendingReason(JobId job) const {
  auto it = pending_.find(job);
  if (it == pending_.end()) return {};
  return DescribeWait(it->second.req, it->second.wait, last_pass_);
}

std::string CorralScheduler::RunningNote(JobId job) const {
  auto it = running_.find(job);
  if (it == running_.end() || !it->second.on_loan) return {};
  return "running on GPUs held for a waiting gang; preempted (to resume from its checkpoint) "
         "when that job can start";
}

std::unique_ptr<Scheduler> MakeDefaultScheduler() {
  return std::make_unique<CorralScheduler>(SchedulerOptions{});
}
std::unique_ptr<Scheduler> MakeDefaultScheduler(const SchedulerOptions& options) {
  return std::make_unique<CorralScheduler>(options);
}

}  // namespace corral::sched
