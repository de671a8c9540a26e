#include "exec/local/local_executor.h"

#include <algorithm>

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "common/log.h"
#include "exec/local/cgroup_setup.h"
#include "exec/local/child_env.h"
#include "exec/local/file_io.h"
#include "exec/local/pidfd.h"
#include "exec/local/proc_stat.h"
#include "exec/local/records.h"
#include "exec/local/replica_layout.h"

namespace corral::exec {
namespace {

// epoll tokens: id * 2 + kind; id 0 is the wake-up eventfd.
constexpr uint64_t kPidfdToken = 0;
constexpr uint64_t kNotifyToken = 1;
constexpr uint64_t kWakeToken = 0;

// Fixed descriptor numbers in the shim (see the --lock-fd / --notify-fd arguments).
constexpr int kShimLockFd = 3;
constexpr int kShimNotifyFd = 4;

// Supplementary groups of `name` (with `gid`), as initgroups(3) would set them; computed here
// because the statically linked shim cannot use NSS.
std::string GroupList(const std::string& name, gid_t gid) {
  int count = 64;
  std::vector<gid_t> groups(static_cast<size_t>(count));
  if (::getgrouplist(name.c_str(), gid, groups.data(), &count) < 0) {
    groups.resize(static_cast<size_t>(count));
    if (::getgrouplist(name.c_str(), gid, groups.data(), &count) < 0) count = 0;
  }
  std::string out;
  for (int i = 0; i < count; ++i) {
    if (!out.empty()) out += ',';
    out += std::to_string(groups[static_cast<size_t>(i)]);
  }
  return out.empty() ? std::to_string(gid) : out;
}

// Directories from the executor's root down to a replica: traversable by everyone, listable by
// no one else, so that a job reaches its own working directory and nothing beside it.
void OpenPathTo(const std::string& root, const std::string& replica_dir) {
  std::string path = root;
  std::string rest = replica_dir.substr(root.size());
  size_t pos = 0;
  while (pos < rest.size()) {
    size_t next = rest.find('/', pos + 1);
    if (next == std::string::npos) next = rest.size();
    path += rest.substr(pos, next - pos);
    ::chmod(path.c_str(), 0711);
    pos = next;
  }
}

std::string ExternalId(pid_t shim_pid) { return "local:" + std::to_string(shim_pid); }

std::string Join(const std::string& dir, const char* name) { return dir + "/" + name; }

// Signals the command's process group left behind by a shim that died without an exit record,
// so that a replica reported lost cannot keep running next to its replacement.
void KillOrphanedGroup(const std::string& dir) {
  std::optional<std::string> text = ReadSmallFile(Join(dir, kShimRecordFile));
  if (!text) return;
  Result<ShimRecord> record = ParseShimRecord(*text);
  if (!record.ok() || record->child_pgid <= 0) return;
  if (IsSameProcess(record->child_pid, record->child_start_ticks)) {
    ::killpg(record->child_pgid, SIGKILL);
  }
}

enum class LockState { kNoLockFile, kHeld, kFree };

LockState ProbeShimLock(const std::string& dir) {
  int fd = ::open(Join(dir, kLockFile).c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return LockState::kNoLockFile;
  LockState state = LockState::kFree;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    state = errno == EWOULDBLOCK ? LockState::kHeld : LockState::kFree;
  }
  ::close(fd);  // releases the probe's lock, if it got one
  return state;
}

// pidfd for the shim recorded in `dir`, only if that very process is still alive.
int OpenRecordedShim(const std::string& dir, ShimRecord& record) {
  std::optional<std::string> text = ReadSmallFile(Join(dir, kShimRecordFile));
  if (!text) return -1;
  Result<ShimRecord> parsed = ParseShimRecord(*text);
  if (!parsed.ok()) return -1;
  record = *parsed;
  int pidfd = PidfdOpen(record.shim_pid);
  if (pidfd < 0) return -1;
  // Checked after opening the pidfd: the pidfd pins the process, so the check cannot go stale.
  if (!IsSameProcess(record.shim_pid, record.shim_start_ticks)) {
    ::close(pidfd);
    return -1;
  }
  return pidfd;
}

}  // namespace

std::vector<std::string> DefaultShimCommand() {
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return {"corral-shim"};
  self[n] = '\0';
  std::string exe(self);
  std::string sibling = exe.substr(0, exe.rfind('/') + 1) + "corral-shim";
  if (::access(sibling.c_str(), X_OK) == 0) return {sibling};
  return {exe, "shim"};
}

LocalExecutor::LocalExecutor(LocalExecutorOptions options)
    : options_(std::move(options)),
      inherited_env_(CaptureInheritedEnv(options_.inherited_env_names.empty()
                                             ? DefaultInheritedEnvNames()
                                             : options_.inherited_env_names)) {
  if (options_.shim_command.empty()) {
    const_cast<std::vector<std::string>&>(options_.shim_command) = DefaultShimCommand();
  }
  if (options_.use_cgroups) {
    CgroupPlan plan =
        PrepareCgroups(ParseCgroupMounts(ReadSmallFile("/proc/self/mountinfo").value_or("")));
    cgroup_parents_ = std::move(plan.parents);
    containment_summary_ = std::move(plan.summary);
  } else {
    containment_summary_ = "cgroups not used; the shim kills the tree as a subreaper";
  }
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeToken;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  launcher_ = std::thread([this] { LauncherLoop(); });
  monitor_ = std::thread([this] { MonitorLoop(); });
}

LocalExecutor::~LocalExecutor() { Shutdown(); }

void LocalExecutor::Shutdown() {
  if (shut_down_.exchange(true)) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  launch_cv_.notify_all();
  uint64_t one = 1;
  ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
  (void)ignored;
  if (launcher_.joinable()) launcher_.join();
  if (monitor_.joinable()) monitor_.join();
  std::lock_guard lock(mu_);
  for (auto& [id, w] : watched_) {
    if (w.pidfd >= 0) ::close(w.pidfd);
    if (w.notify_fd >= 0) ::close(w.notify_fd);
  }
  watched_.clear();
  watched_by_ref_.clear();
  ::close(epoll_fd_);
  ::close(wake_fd_);
}

void LocalExecutor::SetEventSink(EventSink sink) {
  std::lock_guard lock(sink_mu_);
  sink_ = std::move(sink);
}

void LocalExecutor::Emit(ExecEvent event) {
  std::lock_guard lock(sink_mu_);
  if (sink_) sink_(std::move(event));
}

TimePoint LocalExecutor::Now() const {
  return options_.clock != nullptr ? options_.clock->Now() : system_clock_.Now();
}

ExecEvent LocalExecutor::MakeEvent(ExecEvent::Kind kind, const ReplicaRef& ref) const {
  ExecEvent e;
  e.kind = kind;
  e.ref = ref;
  e.time = Now();
  return e;
}

std::vector<std::string> LocalExecutor::CgroupDirs(const ReplicaRef& ref) const {
  std::vector<std::string> dirs;
  std::string leaf = CgroupLeaf(options_.root_dir, ref.job.value, ref.attempt, ref.replica);
  for (const std::string& parent : cgroup_parents_) dirs.push_back(parent + "/" + leaf);
  return dirs;
}

std::string LocalExecutor::LogPath(const ReplicaRef& ref) const {
  return Join(ReplicaDir(options_.root_dir, ref), kOutputLogFile);
}

// ---------------------------------------------------------------------------------------------
// Launching

void LocalExecutor::Launch(const LaunchSpec& spec) {
  auto shared = std::make_shared<const LaunchSpec>(spec);
  std::string error;
  if (spec.argv.empty() == spec.script.empty()) {
    error = "exactly one of argv and script must be given";
  }
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    for (size_t i = 0; i < spec.replicas.size(); ++i) {
      launch_queue_.push_back(PendingLaunch{shared, i, error});
    }
  }
  launch_cv_.notify_one();
}

void LocalExecutor::LauncherLoop() {
  while (true) {
    PendingLaunch next;
    {
      std::unique_lock lock(mu_);
      launch_cv_.wait(lock, [this] { return stopping_ || !launch_queue_.empty(); });
      // Replicas not spawned yet at shutdown never ran; Adopt() reports them lost later.
      if (stopping_) return;
      next = std::move(launch_queue_.front());
      launch_queue_.pop_front();
    }
    SpawnReplica(next);
  }
}

void LocalExecutor::SpawnReplica(const PendingLaunch& launch) {
  const LaunchSpec& spec = *launch.spec;
  const ReplicaLaunch& replica = spec.replicas[launch.replica_pos];
  const ReplicaRef ref{spec.job, spec.attempt, replica.index};
  auto fail = [&](std::string message) {
    ExecEvent e = MakeEvent(ExecEvent::Kind::kLaunchFailed, ref);
    e.message = std::move(message);
    Emit(std::move(e));
  };
  if (!launch.error.empty()) return fail(launch.error);

  const std::string dir = ReplicaDir(options_.root_dir, ref);
  if (int err = MakeDirectories(dir); err != 0) {
    return fail("cannot create " + dir + ": " + std::strerror(err));
  }
  OpenPathTo(options_.root_dir, dir);
  // Only a root executor can switch accounts; otherwise everything runs as this process's user.
  const bool switch_user = spec.run_as.has_value() && ::geteuid() == 0;
  const std::string work = Join(dir, kWorkDirName);
  if (::mkdir(work.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail("cannot create " + work + ": " + std::strerror(errno));
  }
  if (switch_user && ::chown(work.c_str(), spec.run_as->uid, spec.run_as->gid) != 0) {
    return fail("cannot give " + work + " to " + spec.run_as->name + ": " + std::strerror(errno));
  }
  bool terminated_before_start;
  {
    std::lock_guard lock(mu_);
    terminated_before_start = terminated_.count({ref.job.value, ref.attempt}) != 0;
  }
  // The lock is taken here and handed to the shim, so that from the moment the shim exists a
  // restarted server sees the replica as alive.
  int lock_fd = ::open(Join(dir, kLockFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) return fail("cannot create the shim lock: " + std::string(std::strerror(errno)));
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd);
    return fail("replica is already running (its shim holds " + Join(dir, kLockFile) + ")");
  }
  if (PathExists(Join(dir, kExitRecordFile)) || PathExists(Join(dir, kShimRecordFile))) {
    ::close(lock_fd);
    return fail("replica already ran in " + dir + "; a new run needs a new attempt");
  }
  if (terminated_before_start) {
    // Recorded like any other end, so that Adopt() after a restart agrees.
    ExitRecord record;
    record.term_signal = SIGTERM;
    record.end_ms = ToMillis(Now());
    WriteFileAtomically(Join(dir, kExitRecordFile), FormatExitRecord(record), true);
    ::close(lock_fd);
    ExecEvent e = MakeEvent(ExecEvent::Kind::kExited, ref);
    e.term_signal = SIGTERM;
    e.message = "terminated before start";
    return Emit(std::move(e));
  }

  std::vector<std::string> command = spec.argv;
  if (!spec.script.empty()) {
    std::string script_path = Join(dir, kScriptFile);
    if (int err = WriteFileAtomically(script_path, spec.script, false); err != 0) {
      ::close(lock_fd);
      return fail("cannot write the script: " + std::string(std::strerror(err)));
    }
    // Readable by the job's user only (the directory holding it belongs to the server).
    ::chmod(script_path.c_str(), 0600);
    if (switch_user) {
      if (::chown(script_path.c_str(), spec.run_as->uid, spec.run_as->gid) != 0) {
        ::close(lock_fd);
        return fail("cannot give the script to " + spec.run_as->name + ": " + std::strerror(errno));
      }
    }
    command = {"/bin/sh", script_path};
  }
  std::vector<std::string> args = options_.shim_command;
  args.insert(args.end(),
              {"--dir", dir, "--workdir", spec.workdir.empty() ? work : spec.workdir, "--grace-ms",
               std::to_string(spec.kill_grace.count()), "--lock-fd", std::to_string(kShimLockFd),
               "--notify-fd", std::to_string(kShimNotifyFd)});
  if (switch_user) {
    args.insert(args.end(), {"--uid", std::to_string(spec.run_as->uid), "--gid",
                             std::to_string(spec.run_as->gid), "--groups",
                             GroupList(spec.run_as->name, spec.run_as->gid)});
  }
  if (options_.max_log_bytes >= 0) {
    args.insert(args.end(), {"--max-log-bytes", std::to_string(options_.max_log_bytes)});
  }
  for (const std::string& cgroup : CgroupDirs(ref)) args.insert(args.end(), {"--cgroup", cgroup});
  if (spec.memory_mb > 0) args.insert(args.end(), {"--memory-mb", std::to_string(spec.memory_mb)});
  if (spec.cpus > 0) args.insert(args.end(), {"--cpu-millis", std::to_string(spec.cpus * 1000)});
  if (options_.pids_max > 0) {
    args.insert(args.end(), {"--pids-max", std::to_string(options_.pids_max)});
  }
  if (spec.time_limit) {
    args.insert(args.end(), {"--time-limit-ms", std::to_string(spec.time_limit->count())});
  }
  args.push_back("--");
  args.insert(args.end(), command.begin(), command.end());
  std::vector<std::string> env = BuildChildEnv(inherited_env_, spec, replica);

  std::vector<char*> argv_ptrs;
  for (std::string& a : args) argv_ptrs.push_back(a.data());
  argv_ptrs.push_back(nullptr);
  std::vector<char*> env_ptrs;
  for (std::string& e : env) env_ptrs.push_back(e.data());
  env_ptrs.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    ::close(lock_fd);
    return fail("pipe: " + std::string(std::strerror(errno)));
  }
  // Moved above the shim's fixed numbers so that the dup2s below cannot clobber each other.
  int lock_src = ::fcntl(lock_fd, F_DUPFD_CLOEXEC, 10);
  int notify_src = ::fcntl(pipe_fds[1], F_DUPFD_CLOEXEC, 10);
  const std::string log_path = Join(dir, kOutputLogFile);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  // The server's alone: a job reads its output through the API, never another job's.
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_adddup2(&actions, lock_src, kShimLockFd);
  posix_spawn_file_actions_adddup2(&actions, notify_src, kShimNotifyFd);
  // Nothing else of the server's (listening socket, client connections, database) may outlive it
  // in a shim: a held listening socket would keep a restarted server from binding its port.
  posix_spawn_file_actions_addclosefrom_np(&actions, std::max(kShimLockFd, kShimNotifyFd) + 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // A session of its own: the server's death, its terminal or its process group do not reach it.
  // Termination signals start blocked so that an early Terminate() waits for the shim to look.
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  sigset_t blocked;
  sigemptyset(&blocked);
  for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD}) sigaddset(&blocked, sig);
  posix_spawnattr_setsigmask(&attr, &blocked);
  sigset_t defaults = blocked;
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);

  pid_t shim_pid = -1;
  int rc =
      ::posix_spawn(&shim_pid, argv_ptrs[0], &actions, &attr, argv_ptrs.data(), env_ptrs.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(lock_src);
  ::close(notify_src);
  ::close(pipe_fds[1]);
  ::close(lock_fd);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    return fail("cannot start the shim " + args[0] + ": " + std::strerror(rc));
  }
  int pidfd = PidfdOpen(shim_pid);
  if (pidfd < 0) {
    // Without a pidfd the shim cannot be watched; it has not started the command yet (its start
    // signals are blocked), so stopping it here is safe.
    int err = errno;
    ::kill(shim_pid, SIGKILL);
    ::waitpid(shim_pid, nullptr, 0);
    ::close(pipe_fds[0]);
    return fail("pidfd_open: " + std::string(std::strerror(err)));
  }
  ::fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);

  std::lock_guard lock(mu_);
  Watched w;
  w.ref = ref;
  w.dir = dir;
  w.shim_pid = shim_pid;
  w.pidfd = pidfd;
  w.notify_fd = pipe_fds[0];
  RegisterLocked(std::move(w));
  // Terminate() may have run between the check above and the registration.
  if (auto it = terminated_.find({ref.job.value, ref.attempt}); it != terminated_.end()) {
    WriteFileAtomically(Join(dir, kGraceFile), std::to_string(it->second.count()), false);
    PidfdSendSignal(pidfd, SIGTERM);
  }
}

uint64_t LocalExecutor::RegisterLocked(Watched watched) {
  uint64_t id = next_id_++;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = id * 2 + kPidfdToken;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, watched.pidfd, &ev);
  if (watched.notify_fd >= 0) {
    ev.data.u64 = id * 2 + kNotifyToken;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, watched.notify_fd, &ev);
  }
  watched_by_ref_[Key(watched.ref)] = id;
  watched_.emplace(id, std::move(watched));
  return id;
}

LocalExecutor::Watched LocalExecutor::UnregisterLocked(uint64_t id) {
  auto it = watched_.find(id);
  Watched w = std::move(it->second);
  watched_.erase(it);
  watched_by_ref_.erase(Key(w.ref));
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, w.pidfd, nullptr);
  if (w.notify_fd >= 0) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, w.notify_fd, nullptr);
  return w;
}

// ---------------------------------------------------------------------------------------------
// Termination

void LocalExecutor::Terminate(JobId job, int attempt, Duration grace) {
  std::lock_guard lock(mu_);
  terminated_[{job.value, attempt}] = grace;
  const std::string attempt_dir = AttemptDir(options_.root_dir, job, attempt);
  DIR* d = ::opendir(attempt_dir.c_str());
  if (d == nullptr) return;  // nothing spawned yet; the launcher checks terminated_
  while (dirent* entry = ::readdir(d)) {
    char* end = nullptr;
    long index = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0') continue;
    ReplicaRef ref{job, attempt, static_cast<int>(index)};
    std::string dir = ReplicaDir(options_.root_dir, ref);
    WriteFileAtomically(Join(dir, kGraceFile), std::to_string(grace.count()), false);
    if (auto it = watched_by_ref_.find(Key(ref)); it != watched_by_ref_.end()) {
      PidfdSendSignal(watched_.at(it->second).pidfd, SIGTERM);
      continue;
    }
    // Not watched by this executor (not adopted yet): signal the recorded shim if it is alive.
    ShimRecord record;
    int pidfd = OpenRecordedShim(dir, record);
    if (pidfd >= 0) {
      PidfdSendSignal(pidfd, SIGTERM);
      ::close(pidfd);
    }
  }
  ::closedir(d);
}

// ---------------------------------------------------------------------------------------------
// Watching

void LocalExecutor::Adopt(const ReplicaRef& ref, const std::string& external_id) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    adopt_requests_.push_back(ref);
  }
  uint64_t one = 1;
  ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
  (void)ignored;
}

void LocalExecutor::MonitorLoop() {
  epoll_event events[64];
  int64_t next_poll_ms = 0;
  while (true) {
    int timeout = -1;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      if (!awaiting_adoption_.empty())
        timeout = static_cast<int>(options_.adopt_poll_interval.count());
    }
    int n = ::epoll_wait(epoll_fd_, events, 64, timeout);
    for (int i = 0; i < n; ++i) {
      uint64_t token = events[i].data.u64;
      if (token == kWakeToken) {
        uint64_t value;
        ssize_t ignored = ::read(wake_fd_, &value, sizeof value);
        (void)ignored;
        continue;
      }
      if (token % 2 == kNotifyToken) {
        OnNotifyReadable(token / 2);
      } else {
        OnShimExited(token / 2);
      }
    }
    std::vector<ReplicaRef> requests;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      requests.swap(adopt_requests_);
    }
    for (const ReplicaRef& ref : requests) {
      if (TryAdopt(ref) == AdoptOutcome::kRetryLater) {
        std::lock_guard lock(mu_);
        awaiting_adoption_.push_back(ref);
      }
    }
    int64_t now_ms = ToMillis(system_clock_.Now());
    if (now_ms >= next_poll_ms) {
      next_poll_ms = now_ms + options_.adopt_poll_interval.count();
      std::vector<ReplicaRef> awaiting;
      {
        std::lock_guard lock(mu_);
        awaiting.swap(awaiting_adoption_);
      }
      std::vector<ReplicaRef> still_waiting;
      for (const ReplicaRef& ref : awaiting) {
        if (TryAdopt(ref) == AdoptOutcome::kRetryLater) still_waiting.push_back(ref);
      }
      std::lock_guard lock(mu_);
      awaiting_adoption_.insert(awaiting_adoption_.end(), still_waiting.begin(),
                                still_waiting.end());
    }
  }
}

bool LocalExecutor::ReadStartNotification(Watched& w) {
  char buf[512];
  ssize_t n = ::read(w.notify_fd, buf, sizeof buf - 1);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
  bool started = false;
  long long start_ms = 0;
  std::string containment;
  if (n > 0) {
    buf[n] = '\0';
    int child = 0;
    int consumed = 0;
    started = std::sscanf(buf, "S %lld %d%n", &start_ms, &child, &consumed) == 2;
    // The rest of the line says how the shim holds the process tree.
    if (started) {
      containment = buf + consumed;
      while (!containment.empty() && (containment.back() == '\n' || containment.back() == ' '))
        containment.pop_back();
      if (!containment.empty() && containment.front() == ' ') containment.erase(0, 1);
    }
  }
  ::close(w.notify_fd);
  w.notify_fd = -1;
  if (started && !w.started_reported) {
    w.started_reported = true;
    ExecEvent e = MakeEvent(ExecEvent::Kind::kStarted, w.ref);
    e.external_id = ExternalId(w.shim_pid);
    e.time = FromMillis(start_ms);
    e.containment = std::move(containment);
    Emit(std::move(e));
  }
  return true;
}

void LocalExecutor::OnNotifyReadable(uint64_t id) {
  // Only this thread closes or unregisters watched shims, so `w` stays valid without mu_.
  Watched* w;
  {
    std::lock_guard lock(mu_);
    auto it = watched_.find(id);
    if (it == watched_.end() || it->second.notify_fd < 0) return;
    w = &it->second;
  }
  int fd = w->notify_fd;
  {
    std::lock_guard lock(mu_);
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  }
  if (!ReadStartNotification(*w)) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = id * 2 + kNotifyToken;
    std::lock_guard lock(mu_);
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
}

void LocalExecutor::OnShimExited(uint64_t id) {
  Watched w;
  {
    std::lock_guard lock(mu_);
    if (watched_.count(id) == 0) return;
    w = UnregisterLocked(id);
  }
  // The shim wrote its notification before exiting, so it is readable now if it exists.
  if (w.notify_fd >= 0) ReadStartNotification(w);
  siginfo_t info{};
  ::waitid(P_PIDFD, static_cast<id_t>(w.pidfd), &info, WEXITED | WNOHANG);  // ECHILD if adopted
  ::close(w.pidfd);
  Finish(w.ref, w.dir, w.shim_pid, w.started_reported);
}

void LocalExecutor::Finish(const ReplicaRef& ref, const std::string& dir, pid_t shim_pid,
                           bool started_reported) {
  std::optional<std::string> text = ReadSmallFile(Join(dir, kExitRecordFile));
  Result<ExitRecord> record =
      text ? ParseExitRecord(*text) : Result<ExitRecord>(NotFound("no exit record"));
  if (!record.ok()) {
    KillOrphanedGroup(dir);
    KillCgroupMembers(CgroupDirs(ref));
    ExecEvent e = MakeEvent(ExecEvent::Kind::kLost, ref);
    e.message = "the supervising shim ended without a valid exit record (" +
                record.status().message() + ")";
    return Emit(std::move(e));
  }
  if (!record->launch_error.empty()) {
    ExecEvent e = MakeEvent(ExecEvent::Kind::kLaunchFailed, ref);
    e.time = FromMillis(record->end_ms);
    e.exit_code = record->exit_code;
    e.message = record->launch_error;
    return Emit(std::move(e));
  }
  if (!started_reported && record->start_ms > 0 && shim_pid > 0) {
    ExecEvent e = MakeEvent(ExecEvent::Kind::kStarted, ref);
    e.external_id = ExternalId(shim_pid);
    e.time = FromMillis(record->start_ms);
    Emit(std::move(e));
  }
  ExecEvent e = MakeEvent(ExecEvent::Kind::kExited, ref);
  e.time = FromMillis(record->end_ms);
  e.exit_code = record->exit_code;
  e.term_signal = record->term_signal;
  e.timed_out = record->timed_out;
  e.log_truncated = record->log_truncated;
  e.containment = record->containment;
  if (record->start_ms == 0) e.message = "terminated before start";
  Emit(std::move(e));
}

LocalExecutor::AdoptOutcome LocalExecutor::TryAdopt(const ReplicaRef& ref) {
  {
    std::lock_guard lock(mu_);
    if (watched_by_ref_.count(Key(ref)) != 0) return AdoptOutcome::kWatching;
  }
  const std::string dir = ReplicaDir(options_.root_dir, ref);
  auto lost = [&](std::string message) {
    ExecEvent e = MakeEvent(ExecEvent::Kind::kLost, ref);
    e.message = std::move(message);
    Emit(std::move(e));
    return AdoptOutcome::kDone;
  };
  if (PathExists(Join(dir, kExitRecordFile))) {
    Finish(ref, dir, 0, /*started_reported=*/true);
    return AdoptOutcome::kDone;
  }
  switch (ProbeShimLock(dir)) {
    case LockState::kNoLockFile:
      return lost("no shim was ever started for this replica");
    case LockState::kFree:
      // The shim writes exit.json before it exits (and so before the lock is released).
      if (PathExists(Join(dir, kExitRecordFile))) {
        Finish(ref, dir, 0, true);
        return AdoptOutcome::kDone;
      }
      KillOrphanedGroup(dir);
      KillCgroupMembers(CgroupDirs(ref));
      return lost("no shim is running for this replica and it left no exit record");
    case LockState::kHeld:
      break;
  }
  ShimRecord record;
  int pidfd = OpenRecordedShim(dir, record);
  if (pidfd < 0) return AdoptOutcome::kRetryLater;  // still starting its command
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      ::close(pidfd);
      return AdoptOutcome::kDone;
    }
    Watched w;
    w.ref = ref;
    w.dir = dir;
    w.shim_pid = record.shim_pid;
    w.pidfd = pidfd;
    w.started_reported = true;
    RegisterLocked(std::move(w));
  }
  // Reported again so that a replica the server last knew as starting catches up.
  ExecEvent e = MakeEvent(ExecEvent::Kind::kStarted, ref);
  e.external_id = ExternalId(record.shim_pid);
  e.time = FromMillis(record.start_ms);
  Emit(std::move(e));
  return AdoptOutcome::kWatching;
}

}  // namespace corral::exec
