#include "exec/local/process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "exec/local/file_io.h"

namespace corral::exec {
namespace {

bool FileExists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

int WriteText(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = ::write(fd, text.data(), text.size());
  int err = n == static_cast<ssize_t>(text.size()) ? 0 : (n < 0 ? errno : EIO);
  ::close(fd);
  return err;
}

void SleepMs(int ms) {
  timespec ts{ms / 1000, static_cast<long>(ms % 1000) * 1'000'000};
  while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// Parent pid (field 4 of /proc/<pid>/stat), or -1.
pid_t ParentOf(const char* pid_text) {
  char path[300];
  std::snprintf(path, sizeof path, "/proc/%s/stat", pid_text);
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[512];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  // The command name may contain spaces and ')': the fields start after the last ')'.
  char* p = std::strrchr(buf, ')');
  if (p == nullptr) return -1;
  char state = 0;
  int ppid = -1;
  if (std::sscanf(p + 1, " %c %d", &state, &ppid) != 2) return -1;
  return ppid;
}

std::vector<pid_t> ReadPids(const std::string& procs_file) {
  std::vector<pid_t> pids;
  std::optional<std::string> text = ReadSmallFile(procs_file);
  if (!text) return pids;
  const char* p = text->c_str();
  while (*p != '\0') {
    char* end = nullptr;
    long v = std::strtol(p, &end, 10);
    if (end == p) break;
    if (v > 0) pids.push_back(static_cast<pid_t>(v));
    p = end;
    while (*p == '\n' || *p == ' ') ++p;
  }
  return pids;
}

void ReapChildren(pid_t main_child, int* main_status, bool* main_reaped) {
  int status = 0;
  pid_t pid;
  while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
    if (pid == main_child && main_status != nullptr) {
      *main_status = status;
      *main_reaped = true;
    }
  }
}

}  // namespace

std::vector<pid_t> Descendants(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      pid_t ppid = ParentOf(e->d_name);
      if (ppid > 0) children.emplace(ppid, static_cast<pid_t>(std::atoi(e->d_name)));
    }
    ::closedir(d);
  }
  std::vector<pid_t> out;
  std::vector<pid_t> frontier{root};
  while (!frontier.empty()) {
    pid_t p = frontier.back();
    frontier.pop_back();
    auto [lo, hi] = children.equal_range(p);
    for (auto it = lo; it != hi; ++it) {
      out.push_back(it->second);
      frontier.push_back(it->second);
    }
  }
  return out;
}

void ProcessTree::Create(const std::vector<std::string>& cgroup_dirs, const TreeLimits& limits,
                         std::string& warnings) {
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  auto warn = [&warnings](const std::string& line) { warnings += line + "\n"; };
  bool memory = false, cpu = false, pids = false;
  for (const std::string& dir : cgroup_dirs) {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      warn("cannot create cgroup " + dir + ": " + std::strerror(errno));
      continue;
    }
    dirs_.push_back(dir);
    procs_files_.push_back(dir + "/cgroup.procs");
    if (kill_file_.empty() && FileExists(dir + "/cgroup.kill")) kill_file_ = dir + "/cgroup.kill";
    if (freezer_dir_.empty() && FileExists(dir + "/freezer.state")) freezer_dir_ = dir;
    auto apply = [&](const char* file, const std::string& value, bool& done, const char* what) {
      std::string path = dir + "/" + file;
      if (done || !FileExists(path)) return;
      if (int err = WriteText(path, value); err != 0) {
        warn(std::string("cannot set ") + path + ": " + std::strerror(err));
        return;
      }
      done = true;
      limited_.push_back(what);
    };
    if (limits.memory_bytes > 0) {
      std::string bytes = std::to_string(limits.memory_bytes);
      apply("memory.max", bytes, memory, "memory");
      apply("memory.limit_in_bytes", bytes, memory, "memory");
    }
    if (limits.cpu_millis > 0) {
      // Quota per 100 ms period: 1000 millis (one CPU) = 100000 us.
      std::string quota = std::to_string(limits.cpu_millis * 100);
      apply("cpu.max", quota + " 100000", cpu, "cpu");
      if (!cpu && FileExists(dir + "/cpu.cfs_quota_us")) {
        WriteText(dir + "/cpu.cfs_period_us", "100000");
        apply("cpu.cfs_quota_us", quota, cpu, "cpu");
      }
    }
    if (limits.pids_max > 0) apply("pids.max", std::to_string(limits.pids_max), pids, "pids");
  }
}

int ProcessTree::JoinFromChild() const {
  for (const std::string& file : procs_files_) {
    int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    ssize_t n = ::write(fd, "0", 1);
    int err = n == 1 ? 0 : errno;
    ::close(fd);
    if (err != 0) return err;
  }
  return 0;
}

const char* ProcessTree::KillMechanism() const {
  if (!kill_file_.empty()) return "cgroup2";
  if (!freezer_dir_.empty()) return "cgroup1-freezer";
  return "subreaper";
}

std::string ProcessTree::Describe() const {
  std::string out = std::string("process tree held by ") + KillMechanism();
  if (!kill_file_.empty()) {
    out += " (" + kill_file_.substr(0, kill_file_.rfind('/')) + ")";
  } else if (!freezer_dir_.empty()) {
    out += " (" + freezer_dir_ + ")";
  }
  out += "; limits:";
  if (limited_.empty()) out += " none";
  for (const std::string& l : limited_) out += " " + l;
  return out;
}

std::vector<pid_t> ProcessTree::Members() const {
  std::vector<pid_t> pids = Descendants(::getpid());
  for (const std::string& file : procs_files_) {
    for (pid_t p : ReadPids(file)) pids.push_back(p);
  }
  std::sort(pids.begin(), pids.end());
  pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
  // Zombies still waiting to be reaped by this process are gone for every purpose here.
  std::erase_if(pids, [](pid_t p) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(p));
    std::optional<std::string> stat = ReadSmallFile(path);
    if (!stat) return true;
    size_t close = stat->rfind(')');
    return close == std::string::npos || stat->compare(close, 3, ") Z") == 0 ||
           stat->compare(close, 3, ") X") == 0;
  });
  return pids;
}

void ProcessTree::SignalAll(int sig) const {
  for (pid_t p : Members()) ::kill(p, sig);
}

void ProcessTree::KillAllAndWait(pid_t main_child, int* main_status, bool* main_reaped) const {
  int64_t waited_ms = 0;
  int64_t next_report_ms = 10'000;
  for (int round = 0;; ++round) {
    ReapChildren(main_child, main_status, main_reaped);
    std::vector<pid_t> pids = Members();
    if (pids.empty()) break;
    if (!kill_file_.empty()) {
      WriteText(kill_file_, "1");
    } else if (!freezer_dir_.empty()) {
      // Frozen members cannot fork while they are being killed one by one.
      WriteText(freezer_dir_ + "/freezer.state", "FROZEN");
      for (int i = 0; i < 100; ++i) {
        std::optional<std::string> state = ReadSmallFile(freezer_dir_ + "/freezer.state");
        if (!state || state->rfind("FROZEN", 0) == 0) break;
        SleepMs(1);
      }
      for (pid_t p : ReadPids(freezer_dir_ + "/cgroup.procs")) ::kill(p, SIGKILL);
      WriteText(freezer_dir_ + "/freezer.state", "THAWED");
    }
    // Descendants outside the cgroups (none expected) and the subreaper fallback.
    for (pid_t p : pids) ::kill(p, SIGKILL);
    int pause_ms = round < 10 ? 2 : 20;
    SleepMs(pause_ms);
    waited_ms += pause_ms;
    if (waited_ms >= next_report_ms) {
      std::fprintf(stderr, "corral-shim: %zu processes of the job are still exiting\n",
                   pids.size());
      next_report_ms += 10'000;
    }
  }
  ReapChildren(main_child, main_status, main_reaped);
}

void ProcessTree::Remove() const {
  for (const std::string& dir : dirs_) {
    for (int i = 0; i < 50; ++i) {
      if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) break;
      SleepMs(2);
    }
  }
}

}  // namespace corral::exec
