// The supervising shim: one per replica. It is started by the executor in a session of its own,
// starts the command in a process group of its own, enforces the time limit and the kill grace,
// and records how the command ended. It outlives the server on purpose, so that a restarted
// server can adopt the replica instead of running it again. Kept to libc and a few small helpers
// so that it starts quickly.
#include "exec/shim.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
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

#include "exec/local/file_io.h"
#include "exec/local/proc_stat.h"
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

const char* kUsage =
    "usage: corral-shim --dir DIR [--workdir DIR] [--grace-ms N] [--time-limit-ms N]\n"
    "                   [--lock-fd FD] [--notify-fd FD] -- COMMAND [ARGS...]\n";

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

  std::string launch_error;
  if (!opt.workdir.empty() && ::access(opt.workdir.c_str(), X_OK) != 0) {
    launch_error = "cannot enter working directory '" + opt.workdir + "': " + std::strerror(errno);
  }
  pid_t child = -1;
  if (launch_error.empty()) {
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigmask(&attr, &empty);
    sigset_t defaults = handled;
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (!opt.workdir.empty()) posix_spawn_file_actions_addchdir_np(&actions, opt.workdir.c_str());
    // PATH lookup uses our environment, which is the child's.
    int rc = posix_spawnp(&child, opt.command[0], &actions, &attr, opt.command, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
      launch_error = std::string("cannot execute '") + opt.command[0] + "': " + std::strerror(rc);
    }
  }
  if (!launch_error.empty()) {
    std::fprintf(stderr, "corral-shim: %s\n", launch_error.c_str());
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
  char started[64];
  std::snprintf(started, sizeof started, "S %lld %d\n", static_cast<long long>(start_ms), child);
  Notify(opt, started);

  // Monotonic deadlines in ms; kNever when not armed.
  constexpr int64_t kNever = INT64_MAX;
  const int64_t limit_deadline = opt.time_limit_ms >= 0 ? start_mono + opt.time_limit_ms : kNever;
  int64_t kill_deadline = kNever;
  bool terminating = false;
  auto begin_termination = [&](int64_t now, int64_t grace_ms) {
    if (!terminating) {
      terminating = true;
      ::killpg(child, SIGTERM);
      kill_deadline = now + grace_ms;
    } else {
      kill_deadline = std::min(kill_deadline, now + grace_ms);
    }
  };

  int wait_status = 0;
  while (true) {
    int64_t now = MonotonicMs();
    if (!terminating && now >= limit_deadline) {
      exit_record.timed_out = true;
      std::fprintf(stderr, "corral-shim: time limit of %lld ms reached, terminating\n",
                   static_cast<long long>(opt.time_limit_ms));
      begin_termination(now, CurrentGraceMs(opt));
    }
    if (now >= kill_deadline) {
      ::killpg(child, SIGKILL);
      kill_deadline = kNever;
    }
    int64_t wait_ms = 3'600'000;
    if (!terminating) wait_ms = std::min(wait_ms, limit_deadline - now);
    wait_ms = std::min(wait_ms, kill_deadline - now);
    wait_ms = std::max<int64_t>(wait_ms, 0);
    timespec timeout{static_cast<time_t>(wait_ms / 1000),
                     static_cast<long>(wait_ms % 1000) * 1'000'000};
    int sig = sigtimedwait(&handled, nullptr, &timeout);
    if (sig < 0) continue;  // timeout or EINTR: deadlines are checked at the top
    if (sig == SIGCHLD) {
      pid_t r = ::waitpid(child, &wait_status, WNOHANG);
      if (r == child) break;
    } else if (IsTerminationSignal(sig)) {
      begin_termination(MonotonicMs(), CurrentGraceMs(opt));
    }
  }
  // Whatever the command left behind in its group (background helpers) goes with it.
  ::killpg(child, SIGKILL);

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
