#include "exec/slurm/slurm_executor.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/log.h"
#include "exec/local/child_env.h"

namespace corral::exec::slurm {
namespace fs = std::filesystem;
namespace {

// Polls that may miss a job just accepted (or just ended) before it counts as gone.
constexpr int kMissingPollsBeforeLost = 6;

Status MakeDir(const std::string& path, mode_t mode, const std::optional<RunAs>& owner) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
    return Internal("mkdir " + path + ": " + std::strerror(errno));
  ::chmod(path.c_str(), mode);
  if (owner && ::chown(path.c_str(), owner->uid, owner->gid) != 0)
    return Internal("chown " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

Status WriteFile(const std::string& path, const std::string& text, mode_t mode,
                 const std::optional<RunAs>& owner) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return Internal("writing " + tmp);
  }
  ::chmod(tmp.c_str(), mode);
  if (owner && ::chown(tmp.c_str(), owner->uid, owner->gid) != 0)
    return Internal("chown " + tmp + ": " + std::strerror(errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return Internal("rename " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<int> ReadExitRecord(const std::string& path) {
  auto text = ReadSmallFile(path);
  if (!text) return std::nullopt;
  try {
    return std::stoi(*text);
  } catch (...) {
    return std::nullopt;
  }
}

std::string Tail(const std::string& text, size_t n) {
  std::string t = text.size() > n ? text.substr(text.size() - n) : text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t;
}

}  // namespace

SlurmExecutor::SlurmExecutor(SlurmExecutorOptions options) : options_(std::move(options)) {
  batch_options_.spool_dir = options_.spool_dir;
  batch_options_.partition = options_.partition;
  batch_options_.name_prefix = options_.name_prefix;
  batch_options_.pass_account = options_.pass_account;
  batch_options_.base_env = CaptureInheritedEnv(DefaultInheritedEnvNames());
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  if (!options_.bin_dir.empty()) path = options_.bin_dir + ":" + path;
  command_env_ = {{"PATH", path}, {"LANG", "C"}, {"LC_ALL", "C"}};
  // Slurm's client tools read SLURM_CONF; a test cluster may point elsewhere.
  if (const char* conf = std::getenv("SLURM_CONF")) command_env_["SLURM_CONF"] = conf;
  std::error_code ec;
  fs::create_directories(options_.spool_dir + "/jobs", ec);
  // Jobs of other accounts reach their own attempt directories below by path.
  ::chmod(options_.spool_dir.c_str(), 0711);
  ::chmod((options_.spool_dir + "/jobs").c_str(), 0711);
  for (int i = 0; i < std::max(1, options_.submit_threads); ++i)
    submitters_.emplace_back([this] { SubmitLoop(); });
  poller_ = std::thread([this] { PollLoop(); });
}

SlurmExecutor::~SlurmExecutor() { Shutdown(); }

void SlurmExecutor::Shutdown() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  submit_cv_.notify_all();
  poll_cv_.notify_all();
  for (auto& t : submitters_)
    if (t.joinable()) t.join();
  if (poller_.joinable()) poller_.join();
}

TimePoint SlurmExecutor::Now() const {
  return options_.clock ? options_.clock->Now() : system_clock_.Now();
}

ExecEvent SlurmExecutor::MakeEvent(ExecEvent::Kind kind, const ReplicaRef& ref) const {
  ExecEvent ev;
  ev.kind = kind;
  ev.ref = ref;
  ev.time = Now();
  return ev;
}

void SlurmExecutor::Emit(ExecEvent event) {
  std::lock_guard lock(sink_mu_);
  if (sink_) sink_(std::move(event));
}

void SlurmExecutor::SetEventSink(EventSink sink) {
  std::lock_guard lock(sink_mu_);
  sink_ = std::move(sink);
}

void SlurmExecutor::SetNodeSink(NodeSink sink) {
  std::lock_guard lock(sink_mu_);
  node_sink_ = std::move(sink);
}

Result<CommandOutput> SlurmExecutor::Slurm(const std::string& program,
                                           const std::vector<std::string>& args,
                                           const std::string& input) {
  std::vector<std::string> argv{options_.bin_dir.empty() ? program
                                                         : options_.bin_dir + "/" + program};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, command_env_, input, options_.command_timeout);
}

Result<std::vector<SlurmNode>> SlurmExecutor::DiscoverNodes() {
  CORRAL_ASSIGN_OR_RETURN(CommandOutput out, Slurm("scontrol", {"show", "nodes", "-o"}));
  if (out.exit_code != 0)
    return Status(StatusCode::kUnavailable, "scontrol show nodes: " + Tail(out.err, 400));
  std::vector<SlurmNode> nodes;
  for (auto& n : ParseNodes(out.out)) {
    if (!options_.partition.empty() && std::find(n.partitions.begin(), n.partitions.end(),
                                                 options_.partition) == n.partitions.end())
      continue;
    nodes.push_back(n);
  }
  std::lock_guard lock(mu_);
  known_nodes_.clear();
  for (auto n : nodes) {
    // Everything discovered counts as up in the caller's inventory; the first poll reports the
    // ones that are not.
    n.usable = true;
    known_nodes_[n.name] = n;
  }
  nodes_known_ = true;
  return nodes;
}

void SlurmExecutor::Launch(const LaunchSpec& spec) {
  {
    std::lock_guard lock(mu_);
    submit_queue_.push_back(std::make_shared<const LaunchSpec>(spec));
  }
  submit_cv_.notify_one();
}

void SlurmExecutor::Terminate(JobId job, int attempt, Duration grace) {
  {
    std::lock_guard lock(mu_);
    AttemptKey key{job.value, attempt};
    auto [it, inserted] = terminated_.emplace(key, grace);
    if (!inserted) {
      if (grace >= it->second) return;
      it->second = grace;
    }
    cancel_queue_.push_back({key, grace});
  }
  submit_cv_.notify_one();
}

void SlurmExecutor::Adopt(const ReplicaRef& ref, const std::string& external_id) {
  {
    std::lock_guard lock(mu_);
    AttemptKey key{ref.job.value, ref.attempt};
    Tracked& t = tracked_[key];
    t.job = ref.job;
    t.attempt = ref.attempt;
    if (!external_id.empty()) t.slurm_id = external_id;
    t.replicas.insert(ref.replica);
  }
  poll_cv_.notify_one();
}

std::string SlurmExecutor::LogPath(const ReplicaRef& ref) const {
  return ReplicaLogPath(options_.spool_dir, ref);
}

void SlurmExecutor::SubmitLoop() {
  std::unique_lock lock(mu_);
  while (true) {
    auto next_kill = std::chrono::steady_clock::time_point::max();
    for (auto& k : pending_kills_) next_kill = std::min(next_kill, k.at);
    submit_cv_.wait_until(lock, next_kill, [&] {
      return stopping_ || !submit_queue_.empty() || !cancel_queue_.empty() ||
             std::any_of(pending_kills_.begin(), pending_kills_.end(),
                         [](auto& k) { return k.at <= std::chrono::steady_clock::now(); });
    });
    if (stopping_) return;
    // Cancels first: they free capacity.
    while (!cancel_queue_.empty()) {
      auto [key, grace] = cancel_queue_.front();
      cancel_queue_.pop_front();
      auto it = tracked_.find(key);
      if (it == tracked_.end() || it->second.slurm_id.empty()) continue;  // not submitted yet
      std::string id = it->second.slurm_id;
      lock.unlock();
      Cancel(id, grace, true);
      lock.lock();
    }
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::string> kills;
    for (auto it = pending_kills_.begin(); it != pending_kills_.end();) {
      if (it->at <= now) {
        kills.push_back(it->slurm_id);
        it = pending_kills_.erase(it);
      } else {
        ++it;
      }
    }
    if (!kills.empty()) {
      lock.unlock();
      for (const auto& id : kills) {
        (void)Slurm("scancel", {"--signal=KILL", "--full", id});
        (void)Slurm("scancel", {id});
      }
      lock.lock();
    }
    if (!submit_queue_.empty()) {
      auto spec = submit_queue_.front();
      submit_queue_.pop_front();
      lock.unlock();
      Submit(*spec);
      lock.lock();
    }
  }
}

void SlurmExecutor::Cancel(const std::string& slurm_id, Duration grace, bool running) {
  // A job still waiting in Slurm's queue simply goes; a running one gets SIGTERM on every step
  // and, after the grace, SIGKILL.
  (void)Slurm("scancel", {"--state=PENDING", slurm_id});
  if (!running) return;
  auto out = Slurm("scancel", {"--signal=TERM", slurm_id});
  if (!out.ok()) log::Warn("scancel {}: {}", slurm_id, out.status().ToString());
  std::lock_guard lock(mu_);
  pending_kills_.push_back({std::chrono::steady_clock::now() + grace, slurm_id});
}

void SlurmExecutor::Submit(const LaunchSpec& spec) {
  const AttemptKey key{spec.job.value, spec.attempt};
  auto fail_all = [&](ExecEvent::Kind kind, const std::string& message) {
    for (const auto& r : spec.replicas) {
      ExecEvent ev = MakeEvent(kind, {spec.job, spec.attempt, r.index});
      ev.message = message;
      if (kind == ExecEvent::Kind::kExited) ev.term_signal = 15;
      Emit(std::move(ev));
    }
  };
  {
    std::lock_guard lock(mu_);
    if (terminated_.erase(key)) {
      fail_all(ExecEvent::Kind::kExited, "terminated before it was submitted");
      return;
    }
  }
  auto built = BuildBatchJob(spec, batch_options_);
  if (!built.ok()) return fail_all(ExecEvent::Kind::kLaunchFailed, built.status().message());
  const std::optional<RunAs> owner = options_.pass_account ? spec.run_as : std::nullopt;
  const std::string job_dir = options_.spool_dir + "/jobs/" + std::to_string(spec.job.value);
  const std::string dir = AttemptDir(options_.spool_dir, spec.job, spec.attempt);
  Status s = MakeDir(job_dir, 0711, std::nullopt);
  if (s.ok()) s = MakeDir(dir, 0700, owner);
  if (s.ok() && spec.workdir.empty()) s = MakeDir(dir + "/work", 0700, owner);
  if (s.ok()) s = WriteFile(dir + "/batch.sh", built->batch_script, 0700, std::nullopt);
  if (s.ok() && !built->user_script.empty())
    s = WriteFile(dir + "/script.sh", built->user_script, 0600, owner);
  if (!s.ok()) return fail_all(ExecEvent::Kind::kLaunchFailed, s.message());

  auto out = Slurm("sbatch", built->sbatch_args);
  if (!out.ok()) return fail_all(ExecEvent::Kind::kLaunchFailed, out.status().message());
  if (out->exit_code != 0)
    return fail_all(ExecEvent::Kind::kLaunchFailed, "sbatch: " + Tail(out->err, 600));
  auto id = ParseSubmittedId(out->out);
  if (!id.ok()) return fail_all(ExecEvent::Kind::kLaunchFailed, id.status().message());

  bool cancel_now = false;
  Duration grace{0};
  {
    std::lock_guard lock(mu_);
    Tracked& t = tracked_[key];
    t.job = spec.job;
    t.attempt = spec.attempt;
    t.slurm_id = *id;
    for (const auto& r : spec.replicas) {
      t.replicas.insert(r.index);
      t.replica_nodes[r.index] = r.node;
    }
    for (const auto& r : spec.replicas) {
      ExecEvent ev = MakeEvent(ExecEvent::Kind::kQueued, {spec.job, spec.attempt, r.index});
      ev.external_id = *id;
      Emit(std::move(ev));
    }
    // Terminate() may have come while sbatch ran.
    if (auto it = terminated_.find(key); it != terminated_.end()) {
      cancel_now = true;
      grace = it->second;
    }
  }
  if (cancel_now) Cancel(*id, grace, true);
  poll_cv_.notify_one();
}

void SlurmExecutor::PollLoop() {
  auto next_nodes = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    poll_cv_.wait_for(lock, options_.poll_interval, [&] { return stopping_; });
    if (stopping_) return;
    const bool nodes_due = std::chrono::steady_clock::now() >= next_nodes;
    lock.unlock();
    // Nodes first: a job that ends with its node ends after the node is known to be down.
    if (nodes_due) {
      PollNodes();
      next_nodes = std::chrono::steady_clock::now() + options_.node_poll_interval;
    }
    PollJobs();
    lock.lock();
  }
}

void SlurmExecutor::PollNodes() {
  {
    std::lock_guard lock(mu_);
    if (!nodes_known_) return;
  }
  auto out = Slurm("scontrol", {"show", "nodes", "-o"});
  if (!out.ok() || out->exit_code != 0) {
    log::Warn("scontrol show nodes: {}", out.ok() ? Tail(out->err, 300) : out.status().ToString());
    return;
  }
  std::vector<NodeEvent> events;
  {
    std::lock_guard lock(mu_);
    std::map<std::string, SlurmNode> now;
    for (auto& n : ParseNodes(out->out)) {
      if (!options_.partition.empty() && std::find(n.partitions.begin(), n.partitions.end(),
                                                   options_.partition) == n.partitions.end())
        continue;
      now[n.name] = n;
    }
    for (auto& [name, n] : now) {
      auto old = known_nodes_.find(name);
      const bool was_up = old != known_nodes_.end() && old->second.usable;
      if (n.usable && !was_up) {
        NodeEvent ev;
        ev.kind = NodeEvent::Kind::kUp;
        ev.node = name;
        ev.address = n.address;
        ev.gpus = n.gpus;
        ev.cpus = n.cpus;
        ev.memory_mb = n.memory_mb;
        events.push_back(ev);
      } else if (!n.usable && was_up) {
        NodeEvent ev;
        ev.kind = NodeEvent::Kind::kDown;
        ev.node = name;
        ev.reason = "Slurm state " + n.state + (n.reason.empty() ? "" : " (" + n.reason + ")");
        events.push_back(ev);
      }
    }
    for (auto& [name, n] : known_nodes_) {
      if (now.count(name) || !n.usable) continue;
      NodeEvent ev;
      ev.kind = NodeEvent::Kind::kDown;
      ev.node = name;
      ev.reason = "no longer in Slurm";
      events.push_back(ev);
    }
    known_nodes_ = std::move(now);
  }
  std::lock_guard lock(sink_mu_);
  if (node_sink_)
    for (auto& ev : events) node_sink_(ev);
}

void SlurmExecutor::PollJobs() {
  std::map<AttemptKey, Tracked> snapshot;
  {
    std::lock_guard lock(mu_);
    if (tracked_.empty()) return;
    snapshot = tracked_;
  }
  // Live jobs only (pending, running, completing): listing every job Slurm still remembers
  // (MinJobAge) costs the controller more with every job that ended.
  auto out = Slurm("squeue", {"-h", "-o", kQueueFormat});
  if (!out.ok() || out->exit_code != 0) {
    log::Warn("squeue: {}", out.ok() ? Tail(out->err, 300) : out.status().ToString());
    return;
  }
  std::map<std::string, QueueRow> by_id, by_name;
  for (auto& row : ParseQueue(out->out)) {
    by_name[row.name] = row;
    by_id[row.job_id] = std::move(row);
  }
  std::vector<AttemptKey> missing;
  std::map<AttemptKey, std::string> resolved;  // adoption by name
  for (auto& [key, t] : snapshot) {
    std::string id = t.slurm_id;
    if (id.empty()) {
      auto n = by_name.find(SlurmJobName(options_.name_prefix, t.job, t.attempt));
      if (n != by_name.end()) {
        id = n->second.job_id;
      } else if (auto recorded = ReadSmallFile(AttemptDir(options_.spool_dir, t.job, t.attempt) +
                                               "/slurm_job_id")) {
        id = Tail(*recorded, 64);
      }
      if (!id.empty()) resolved[key] = id;
    }
    auto row = id.empty() ? by_id.end() : by_id.find(id);
    if (row == by_id.end()) {
      missing.push_back(key);
      continue;
    }
    const SlurmJobPhase phase = PhaseOf(row->second.state);
    if (phase == SlurmJobPhase::kPending) continue;
    if (!t.started_reported) {
      for (int r : t.replicas) {
        ExecEvent ev = MakeEvent(ExecEvent::Kind::kStarted, {t.job, t.attempt, r});
        ev.external_id = id;
        ev.containment = "Slurm job " + id + " on " + row->second.nodes;
        Emit(std::move(ev));
      }
      std::lock_guard lock(mu_);
      if (auto it = tracked_.find(key); it != tracked_.end()) it->second.started_reported = true;
      t.started_reported = true;
    }
    if (phase == SlurmJobPhase::kDone) {
      Tracked done = t;
      done.slurm_id = id;
      FinishTracked(done, row->second.state, 0, 0);
    }
  }
  if (!resolved.empty()) {
    std::lock_guard lock(mu_);
    for (auto& [key, id] : resolved)
      if (auto it = tracked_.find(key); it != tracked_.end()) it->second.slurm_id = id;
  }
  if (missing.empty()) return;
  // Gone from squeue: finished. When every replica recorded its exit and srun reported no node
  // failure, those records are the result. Otherwise Slurm's completion records say how it ended
  // (one sacct call for all; sacct -c reads the whole completion log, so only when needed).
  std::vector<AttemptKey> unexplained;
  for (auto& key : missing) {
    Tracked t = snapshot[key];
    if (auto r = resolved.find(key); r != resolved.end()) t.slurm_id = r->second;
    bool all_recorded = !t.slurm_id.empty();
    for (int r : t.replicas)
      if (!ReadExitRecord(ReplicaExitPath(options_.spool_dir, {t.job, t.attempt, r})))
        all_recorded = false;
    auto batch_log = ReadSmallFile(AttemptDir(options_.spool_dir, t.job, t.attempt) + "/batch.log");
    if (all_recorded && !(batch_log && batch_log->find("Node failure") != std::string::npos))
      FinishTracked(t, "COMPLETED", 0, 0);
    else
      unexplained.push_back(key);
  }
  missing = std::move(unexplained);
  if (missing.empty()) return;
  std::string ids;
  for (auto& key : missing) {
    std::string id = snapshot[key].slurm_id;
    if (auto r = resolved.find(key); r != resolved.end()) id = r->second;
    if (id.empty()) continue;
    ids += (ids.empty() ? "" : ",") + id;
  }
  std::map<std::string, AccountingRow> records;
  if (!ids.empty()) {
    auto acct =
        Slurm("sacct", {"-c", "-n", "-P", "-o", "jobid,state,exitcode,nodelist", "-j", ids});
    if (acct.ok() && acct->exit_code == 0)
      for (auto& row : ParseAccounting(acct->out)) records[row.job_id] = row;
  }
  for (auto& key : missing) {
    Tracked t = snapshot[key];
    if (auto r = resolved.find(key); r != resolved.end()) t.slurm_id = r->second;
    if (auto rec = records.find(t.slurm_id); !t.slurm_id.empty() && rec != records.end()) {
      FinishTracked(t, rec->second.state, rec->second.exit_code, rec->second.signal);
      continue;
    }
    int misses = 0;
    {
      std::lock_guard lock(mu_);
      auto it = tracked_.find(key);
      if (it == tracked_.end()) continue;
      misses = ++it->second.missing_polls;
    }
    // Nothing in Slurm knows it (no completion record yet, or none kept): what the spool
    // recorded is all there is.
    bool all_recorded = !t.slurm_id.empty();
    for (int r : t.replicas)
      if (!ReadExitRecord(ReplicaExitPath(options_.spool_dir, {t.job, t.attempt, r})))
        all_recorded = false;
    if (all_recorded && misses >= 2) {
      FinishTracked(t, "COMPLETED", 0, 0);
      continue;
    }
    if (misses < kMissingPollsBeforeLost) continue;
    for (int r : t.replicas) {
      ExecEvent ev = MakeEvent(ExecEvent::Kind::kLost, {t.job, t.attempt, r});
      ev.external_id = t.slurm_id;
      ev.message = t.slurm_id.empty() ? "never reached Slurm"
                                      : "Slurm job " + t.slurm_id + " is unknown to Slurm";
      Emit(std::move(ev));
    }
    std::lock_guard lock(mu_);
    tracked_.erase(key);
    terminated_.erase(key);
  }
}

void SlurmExecutor::FinishTracked(const Tracked& t, const std::string& state, int batch_exit,
                                  int batch_signal) {
  const std::string dir = AttemptDir(options_.spool_dir, t.job, t.attempt);
  const bool ran = ReadSmallFile(dir + "/slurm_job_id").has_value();
  // The node's loss must be known before the job's end, so that the attempt ends as "node down"
  // (requeued per its retry policy) rather than as a failure of the job itself. Slurm may have
  // brought the node back already (ReturnToService), so it is reported down here, from the job:
  // the nodes srun named in "Node failure on <node>", else every node of the job. The next node
  // poll reports it up again.
  if (state == "NODE_FAIL") {
    std::set<std::string> failed;
    if (auto log = ReadSmallFile(dir + "/batch.log")) {
      const std::string marker = "Node failure on ";
      for (size_t p = log->find(marker); p != std::string::npos; p = log->find(marker, p + 1)) {
        size_t start = p + marker.size();
        size_t end = log->find_first_of(" \n", start);
        failed.insert(log->substr(start, end == std::string::npos ? end : end - start));
      }
    }
    if (failed.empty())
      for (auto& [r, node] : t.replica_nodes) failed.insert(node);
    std::vector<NodeEvent> events;
    {
      std::lock_guard lock(mu_);
      for (const auto& node : failed) {
        auto it = known_nodes_.find(node);
        if (it == known_nodes_.end() || !it->second.usable) continue;
        it->second.usable = false;
        NodeEvent ev;
        ev.kind = NodeEvent::Kind::kDown;
        ev.node = node;
        ev.reason = "Slurm job " + t.slurm_id + " ended NODE_FAIL";
        events.push_back(ev);
      }
    }
    std::lock_guard lock(sink_mu_);
    if (node_sink_)
      for (auto& ev : events) node_sink_(ev);
  }
  bool terminated = false;
  {
    std::lock_guard lock(mu_);
    terminated = terminated_.count({t.job.value, t.attempt}) > 0;
  }
  if (ran && !t.started_reported) {
    for (int r : t.replicas) {
      ExecEvent ev = MakeEvent(ExecEvent::Kind::kStarted, {t.job, t.attempt, r});
      ev.external_id = t.slurm_id;
      Emit(std::move(ev));
    }
  }
  for (int r : t.replicas) {
    const ReplicaRef ref{t.job, t.attempt, r};
    ExecEvent ev = MakeEvent(ExecEvent::Kind::kExited, ref);
    ev.external_id = t.slurm_id;
    ev.timed_out = state == "TIMEOUT" || state == "DEADLINE";
    if (state == "NODE_FAIL") {
      // srun reports a replica lost with its node as exit 0.
      ev.term_signal = 9;
      ev.message = "Slurm job " + t.slurm_id + " ended NODE_FAIL";
    } else if (auto code = ReadExitRecord(ReplicaExitPath(options_.spool_dir, ref))) {
      if (*code > 128 && *code < 128 + 65)
        ev.term_signal = *code - 128;
      else
        ev.exit_code = *code;
    } else if (state == "CANCELLED" || state == "PREEMPTED" || ev.timed_out) {
      ev.term_signal = 15;
    } else if (state == "OUT_OF_MEMORY" || state == "BOOT_FAIL") {
      ev.term_signal = 9;
      ev.message = "Slurm job " + t.slurm_id + " ended " + state;
    } else if (!ran && !terminated) {
      ev.kind = ExecEvent::Kind::kLaunchFailed;
      auto log = ReadSmallFile(dir + "/batch.log");
      ev.message = "Slurm job " + t.slurm_id + " ended " + state + " before it started" +
                   (log && !log->empty() ? ": " + Tail(*log, 400) : "");
    } else if (terminated) {
      ev.term_signal = batch_signal ? batch_signal : 9;
    } else if (batch_signal) {
      ev.term_signal = batch_signal;
    } else {
      ev.exit_code = state == "COMPLETED" ? batch_exit : (batch_exit ? batch_exit : 1);
    }
    Emit(std::move(ev));
  }
  std::lock_guard lock(mu_);
  tracked_.erase({t.job.value, t.attempt});
  terminated_.erase({t.job.value, t.attempt});
  pending_kills_.erase(std::remove_if(pending_kills_.begin(), pending_kills_.end(),
                                      [&](auto& k) { return k.slurm_id == t.slurm_id; }),
                       pending_kills_.end());
}

}  // namespace corral::exec::slurm
