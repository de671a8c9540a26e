// The supervising shim: one per replica. It is started by the executor in a session of its own,
// starts the command in a process group of its own, enforces the time limit and the kill grace,
// and records how the command ended. It outlives the server on purpose, so that a restarted
// server can adopt the replica instead of running it again. Kept to libc and a few small helpers
// so that it starts quickly.
#include "exec/shim.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "exec/local/file_io.h"
#include "exec/local/proc_stat.h"
#include "exec/local/process_tree.h"
#include "exec/local/records.h"
#include "exec/local/replica_layout.h"

extern char** environ;

namespace corral::exec {
namespace {

struct ShimOptions {
  std::string dir;
  std::string workdir;
  int64_t grace_ms = 10'000;
  int64_t time_limit_ms = -1;
  int lock_fd = -1;
  int notify_fd = -1;
  // The account the command runs as; unset: the shim's own.
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::vector<gid_t> groups;
  int64_t max_log_bytes = -1;  // -1: no cap
  std::vector<std::string> cgroups;
  TreeLimits limits;
  char** command = nullptr;  // null-terminated argv of the child
};

int64_t ClockMs(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}
int64_t WallMs() { return ClockMs(CLOCK_REALTIME); }
int64_t MonotonicMs() { return ClockMs(CLOCK_MONOTONIC); }

bool ParseInt(const char* s, int64_t& out) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0') return false;
  out = v;
  return true;
}

// "1,20,30" (may be empty).
bool ParseGroups(const char* text, std::vector<gid_t>& out) {
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string item(rest.substr(0, comma));
    int64_t g = 0;
    if (!ParseInt(item.c_str(), g) || g < 0) return false;
    out.push_back(static_cast<gid_t>(g));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return true;
}

const char* kUsage =
    "usage: corral-shim --dir DIR [--workdir DIR] [--grace-ms N] [--time-limit-ms N]\n"
    "                   [--lock-fd FD] [--notify-fd FD] [--uid N --gid N [--groups G,...]]\n"
    "                   [--max-log-bytes N] [--cgroup DIR]... [--memory-mb N]\n"
    "                   [--cpu-millis N] [--pids-max N] -- COMMAND [ARGS...]\n";

bool ParseOptions(int argc, char** argv, ShimOptions& opt) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") {
      if (i + 1 >= argc) return false;
      opt.command = argv + i + 1;
      return !opt.dir.empty();
    }
    if (i + 1 >= argc) return false;
    const char* v = argv[++i];
    int64_t n = 0;
    if (a == "--dir") {
      opt.dir = v;
    } else if (a == "--workdir") {
      opt.workdir = v;
    } else if (a == "--grace-ms" && ParseInt(v, n) && n >= 0) {
      opt.grace_ms = n;
    } else if (a == "--time-limit-ms" && ParseInt(v, n) && n >= 0) {
      opt.time_limit_ms = n;
    } else if (a == "--lock-fd" && ParseInt(v, n) && n >= 0) {
      opt.lock_fd = static_cast<int>(n);
    } else if (a == "--notify-fd" && ParseInt(v, n) && n >= 0) {
      opt.notify_fd = static_cast<int>(n);
    } else if (a == "--uid" && ParseInt(v, n) && n >= 0) {
      opt.uid = static_cast<uid_t>(n);
    } else if (a == "--gid" && ParseInt(v, n) && n >= 0) {
      opt.gid = static_cast<gid_t>(n);
    } else if (a == "--groups") {
      if (!ParseGroups(v, opt.groups)) return false;
    } else if (a == "--max-log-bytes" && ParseInt(v, n) && n >= 0) {
      opt.max_log_bytes = n;
    } else if (a == "--cgroup" && v[0] == '/') {
      opt.cgroups.push_back(v);
    } else if (a == "--memory-mb" && ParseInt(v, n) && n >= 0) {
      opt.limits.memory_bytes = n * 1024 * 1024;
    } else if (a == "--cpu-millis" && ParseInt(v, n) && n >= 0) {
      opt.limits.cpu_millis = n;
    } else if (a == "--pids-max" && ParseInt(v, n) && n >= 0) {
      opt.limits.pids_max = n;
    } else {
      return false;
    }
  }
  return false;
}

// The server may be gone (or restarted); a failed write here is expected and harmless because
// SIGPIPE is ignored.
void Notify(ShimOptions& opt, const char* message) {
  if (opt.notify_fd < 0) return;
  ssize_t ignored = ::write(opt.notify_fd, message, std::strlen(message));
  (void)ignored;
  ::close(opt.notify_fd);
  opt.notify_fd = -1;
}

std::string Path(const ShimOptions& opt, const char* name) { return opt.dir + "/" + name; }

int WriteExitRecord(const ShimOptions& opt, const ExitRecord& record) {
  int err = WriteFileAtomically(Path(opt, kExitRecordFile), FormatExitRecord(record), true);
  if (err != 0) {
    std::fprintf(stderr, "corral-shim: cannot write %s: %s\n", kExitRecordFile, std::strerror(err));
  }
  return err;
}

// Grace for the current termination: what Terminate() wrote last, else the launch value.
int64_t CurrentGraceMs(const ShimOptions& opt) {
  std::optional<std::string> text = ReadSmallFile(Path(opt, kGraceFile));
  int64_t grace = 0;
  if (text) {
    while (!text->empty() && (text->back() == '\n' || text->back() == ' ')) text->pop_back();
    if (ParseInt(text->c_str(), grace) && grace >= 0) return grace;
  }
  return opt.grace_ms;
}

bool IsTerminationSignal(int sig) { return sig == SIGTERM || sig == SIGINT || sig == SIGQUIT; }

// Without a lock inherited from the executor (shim started by hand), take it here so that two
// shims never run the same replica.
bool AcquireLock(ShimOptions& opt) {
  if (opt.lock_fd >= 0) {
    ::fcntl(opt.lock_fd, F_SETFD, FD_CLOEXEC);
    return true;
  }
  opt.lock_fd = ::open(Path(opt, kLockFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (opt.lock_fd < 0) return false;
  return ::flock(opt.lock_fd, LOCK_EX | LOCK_NB) == 0;
}

// What went wrong in the child between fork and exec, sent to the shim over a pipe.
struct ChildFailure {
  enum Stage : int { kCgroup, kIdentity, kNoNewPrivs, kWorkdir, kExec } stage;
  int error;
};

std::string DescribeFailure(const ShimOptions& opt, const ChildFailure& f) {
  std::string reason = std::strerror(f.error);
  switch (f.stage) {
    case ChildFailure::kCgroup:
      return "cannot join the replica's cgroup: " + reason;
    case ChildFailure::kIdentity:
      return "cannot switch to uid " + std::to_string(opt.uid.value_or(0)) + " gid " +
             std::to_string(opt.gid.value_or(0)) + ": " + reason;
    case ChildFailure::kNoNewPrivs:
      return "cannot set no_new_privs: " + reason;
    case ChildFailure::kWorkdir:
      return "cannot enter working directory '" + opt.workdir + "': " + reason;
    case ChildFailure::kExec:
      break;
  }
  return std::string("cannot execute '") + opt.command[0] + "': " + reason;
}

// The forked child: joins the cgroups, takes the job's identity, and execs the command. Only the
// shim's own thread existed before fork, so the calls here are safe.
[[noreturn]] void RunChild(const ShimOptions& opt, const ProcessTree& tree, int output_fd,
                           int error_fd) {
  auto fail = [error_fd](ChildFailure::Stage stage, int err) {
    ChildFailure f{stage, err};
    ssize_t ignored = ::write(error_fd, &f, sizeof f);
    (void)ignored;
    ::_exit(127);
  };
  ::setpgid(0, 0);
  for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD, SIGPIPE}) ::signal(sig, SIG_DFL);
  sigset_t empty;
  sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
  if (int err = tree.JoinFromChild(); err != 0) fail(ChildFailure::kCgroup, err);
  ::dup2(output_fd, STDOUT_FILENO);
  ::dup2(output_fd, STDERR_FILENO);
  if (opt.uid || opt.gid) {
    // Groups first, then gid, then uid: each later step gives up the right to do the earlier ones.
    if (::setgroups(opt.groups.size(), opt.groups.data()) != 0)
      fail(ChildFailure::kIdentity, errno);
    if (opt.gid && ::setresgid(*opt.gid, *opt.gid, *opt.gid) != 0) {
      fail(ChildFailure::kIdentity, errno);
    }
    if (opt.uid && ::setresuid(*opt.uid, *opt.uid, *opt.uid) != 0) {
      fail(ChildFailure::kIdentity, errno);
    }
  }
  // setuid binaries and file capabilities can no longer raise the job's privileges.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(ChildFailure::kNoNewPrivs, errno);
  // As the job's user, so that a directory it may not enter stays closed to it.
  if (!opt.workdir.empty() && ::chdir(opt.workdir.c_str()) != 0) {
    fail(ChildFailure::kWorkdir, errno);
  }
  // PATH lookup uses our environment, which is the child's.
  ::execvp(opt.command[0], opt.command);
  fail(ChildFailure::kExec, errno);
  ::_exit(127);
}

// Copies the command's output into the log up to the cap, then keeps reading and discarding it so
// that the command never blocks on a full pipe.
class LogWriter {
 public:
  enum class Read { kMore, kEmpty, kEnd };

  LogWriter(int fd, int64_t cap) : fd_(fd), cap_(cap) {
    struct stat st {};
    if (::fstat(fd, &st) == 0) written_ = st.st_size;
  }

  Read Pump(int from) {
    char buf[64 * 1024];
    ssize_t n = ::read(from, buf, sizeof buf);
    if (n < 0) return errno == EAGAIN || errno == EINTR ? Read::kEmpty : Read::kEnd;
    if (n == 0) return Read::kEnd;
    Append(buf, static_cast<size_t>(n));
    return Read::kMore;
  }

  bool truncated() const { return truncated_; }

 private:
  void Append(const char* data, size_t n) {
    if (truncated_) return;
    int64_t size = static_cast<int64_t>(n);
    if (cap_ < 0 || written_ + size <= cap_) return Write(data, n);
    int64_t room = std::max<int64_t>(cap_ - written_, 0);
    Write(data, static_cast<size_t>(room));
    truncated_ = true;
    char note[160];
    std::snprintf(note, sizeof note,
                  "%scorral: log limit of %lld bytes reached; further output discarded\n",
                  last_ == '\n' ? "" : "\n", static_cast<long long>(cap_));
    ssize_t ignored = ::write(fd_, note, std::strlen(note));
    (void)ignored;
  }

  void Write(const char* data, size_t n) {
    if (n == 0) return;
    last_ = data[n - 1];
    written_ += static_cast<int64_t>(n);
    while (n > 0) {
      ssize_t w = ::write(fd_, data, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return;  // a full disk loses output, never the job
      data += w;
      n -= static_cast<size_t>(w);
    }
  }

  int fd_;
  int64_t cap_;
  int64_t written_ = 0;
  char last_ = '\n';
  bool truncated_ = false;
};

int ExitStatusCode(const ExitRecord& r) {
  if (r.exit_code) return *r.exit_code;
  return 128 + r.term_signal.value_or(0);
}

}  // namespace

int RunShim(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGCHLD, SIG_DFL);  // an inherited SIG_IGN would make the kernel reap the child
  sigset_t handled;
  sigemptyset(&handled);
  for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD}) sigaddset(&handled, sig);
  // The executor starts us with these blocked already, so an early SIGTERM stays pending.
  sigprocmask(SIG_BLOCK, &handled, nullptr);

  ShimOptions opt;
  if (!ParseOptions(argc, argv, opt)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (opt.notify_fd >= 0) ::fcntl(opt.notify_fd, F_SETFD, FD_CLOEXEC);
  if (!AcquireLock(opt)) {
    std::fprintf(stderr, "corral-shim: replica %s is already supervised\n", opt.dir.c_str());
    Notify(opt, "F\n");
    return 2;
  }

  ExitRecord exit_record;
  // Terminated before the command started: it never runs.
  timespec zero{};
  for (int sig; (sig = sigtimedwait(&handled, nullptr, &zero)) > 0;) {
    if (IsTerminationSignal(sig)) exit_record.term_signal = SIGTERM;
  }
  if (exit_record.term_signal) {
    exit_record.end_ms = WallMs();
    std::fprintf(stderr, "corral-shim: terminated before the command started\n");
    WriteExitRecord(opt, exit_record);
    Notify(opt, "F\n");
    return ExitStatusCode(exit_record);
  }

  std::string warnings;
  ProcessTree tree;
  tree.Create(opt.cgroups, opt.limits, warnings);
  exit_record.containment = tree.KillMechanism();
  // Only trouble goes to the job's log; the mechanism is reported with the start notification.
  if (!warnings.empty()) std::fprintf(stderr, "corral-shim: %s", warnings.c_str());

  std::string launch_error;
  int output[2] = {-1, -1};
  int errors[2] = {-1, -1};
  if (::pipe2(output, O_CLOEXEC) != 0 || ::pipe2(errors, O_CLOEXEC) != 0) {
    launch_error = std::string("pipe: ") + std::strerror(errno);
  }
  pid_t child = -1;
  if (launch_error.empty()) {
    child = ::fork();
    if (child == 0) RunChild(opt, tree, output[1], errors[1]);  // never returns
    if (child < 0) launch_error = std::string("fork: ") + std::strerror(errno);
  }
  if (child > 0) {
    ::setpgid(child, child);  // also done by the child; whichever runs first wins the race
    ::close(output[1]);
    ::close(errors[1]);
    // The child reports a failure before exec on this pipe; EOF means exec succeeded.
    ChildFailure failure{};
    ssize_t n;
    do {
      n = ::read(errors[0], &failure, sizeof failure);
    } while (n < 0 && errno == EINTR);
    ::close(errors[0]);
    if (n == static_cast<ssize_t>(sizeof failure)) {
      launch_error = DescribeFailure(opt, failure);
      int ignored = 0;
      ::waitpid(child, &ignored, 0);
      ::close(output[0]);
    }
  }
  if (!launch_error.empty()) {
    std::fprintf(stderr, "corral-shim: %s\n", launch_error.c_str());
    tree.Remove();
    exit_record.exit_code = 127;
    exit_record.end_ms = WallMs();
    exit_record.launch_error = launch_error;
    WriteExitRecord(opt, exit_record);
    Notify(opt, "F\n");
    return 127;
  }

  const int64_t start_ms = WallMs();
  const int64_t start_mono = MonotonicMs();
  exit_record.start_ms = start_ms;
  ShimRecord shim_record;
  shim_record.shim_pid = ::getpid();
  shim_record.shim_start_ticks = ReadProcessStartTicks(shim_record.shim_pid).value_or(0);
  shim_record.child_pid = child;
  shim_record.child_pgid = child;
  shim_record.child_start_ticks = ReadProcessStartTicks(child).value_or(0);
  shim_record.start_ms = start_ms;
  // Not fsync'ed: it only matters while processes live, and they do not outlive a machine crash.
  int err = WriteFileAtomically(Path(opt, kShimRecordFile), FormatShimRecord(shim_record), false);
  if (err != 0) {
    std::fprintf(stderr, "corral-shim: cannot write %s: %s\n", kShimRecordFile, std::strerror(err));
  }
  char started[256];
  std::snprintf(started, sizeof started, "S %lld %d %s\n", static_cast<long long>(start_ms), child,
                tree.Describe().c_str());
  Notify(opt, started);

  LogWriter log(STDOUT_FILENO, opt.max_log_bytes);
  int signal_fd = ::signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
  ::fcntl(output[0], F_SETFL, O_NONBLOCK);
  int output_fd = output[0];

  // Monotonic deadlines in ms; kNever when not armed.
  constexpr int64_t kNever = INT64_MAX;
  const int64_t limit_deadline = opt.time_limit_ms >= 0 ? start_mono + opt.time_limit_ms : kNever;
  int64_t kill_deadline = kNever;
  bool terminating = false;
  auto begin_termination = [&](int64_t now, int64_t grace_ms) {
    if (!terminating) {
      terminating = true;
      ::killpg(child, SIGTERM);
      tree.SignalAll(SIGTERM);  // helpers that left the process group hear it too
      kill_deadline = now + grace_ms;
    } else {
      kill_deadline = std::min(kill_deadline, now + grace_ms);
    }
  };

  int wait_status = 0;
  bool child_reaped = false;
  while (!child_reaped) {
    int64_t now = MonotonicMs();
    if (!terminating && now >= limit_deadline) {
      exit_record.timed_out = true;
      std::fprintf(stderr, "corral-shim: time limit of %lld ms reached, terminating\n",
                   static_cast<long long>(opt.time_limit_ms));
      begin_termination(now, CurrentGraceMs(opt));
    }
    if (now >= kill_deadline) {
      ::killpg(child, SIGKILL);
      tree.SignalAll(SIGKILL);
      kill_deadline = kNever;
    }
    int64_t wait_ms = 3'600'000;
    if (!terminating) wait_ms = std::min(wait_ms, limit_deadline - now);
    wait_ms = std::min(wait_ms, kill_deadline - now);
    wait_ms = std::max<int64_t>(wait_ms, 0);
    pollfd fds[2] = {{signal_fd, POLLIN, 0}, {output_fd, POLLIN, 0}};
    int ready = ::poll(fds, output_fd >= 0 ? 2 : 1,
                       static_cast<int>(std::min<int64_t>(wait_ms, INT32_MAX)));
    if (ready <= 0) continue;  // timeout or EINTR: deadlines are checked at the top
    if (output_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      if (log.Pump(output_fd) == LogWriter::Read::kEnd) {
        ::close(output_fd);
        output_fd = -1;
      }
    }
    if ((fds[0].revents & POLLIN) == 0) continue;
    signalfd_siginfo info{};
    while (::read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      int sig = static_cast<int>(info.ssi_signo);
      if (sig == SIGCHLD) {
        // Orphans of the job are reparented here (subreaper): reap them too.
        int status = 0;
        for (pid_t r; (r = ::waitpid(-1, &status, WNOHANG)) > 0;) {
          if (r == child) {
            wait_status = status;
            child_reaped = true;
          }
        }
      } else if (IsTerminationSignal(sig)) {
        begin_termination(MonotonicMs(), CurrentGraceMs(opt));
      }
    }
  }
  // Whatever the command left behind (background helpers, daemons that called setsid) goes with
  // it, and the record is written only once none of it is left, so that the GPUs this replica
  // held are not handed to another job while any of its processes lives.
  ::killpg(child, SIGKILL);
  tree.KillAllAndWait(child, nullptr, nullptr);
  if (output_fd >= 0) {
    while (log.Pump(output_fd) == LogWriter::Read::kMore) {
    }
    ::close(output_fd);
  }
  tree.Remove();
  exit_record.log_truncated = log.truncated();

  exit_record.end_ms = WallMs();
  if (WIFEXITED(wait_status)) {
    exit_record.exit_code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    exit_record.term_signal = WTERMSIG(wait_status);
  }
  WriteExitRecord(opt, exit_record);
  return ExitStatusCode(exit_record);
}

}  // namespace corral::exec
