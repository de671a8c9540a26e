#include "exec/local/cgroup_setup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <sstream>

#include "exec/local/file_io.h"

namespace corral::exec {
namespace {

std::vector<std::string> SplitOn(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    out.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool WriteText(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

bool MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return false;
  return ::access(path.c_str(), W_OK) == 0;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& x : v)
    if (x == s) return true;
  return false;
}

std::vector<std::string> ReadWords(const std::string& path) {
  std::vector<std::string> words;
  std::istringstream in(ReadSmallFile(path).value_or(""));
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

}  // namespace

CgroupMounts ParseCgroupMounts(std::string_view mountinfo) {
  CgroupMounts mounts;
  for (const std::string& line : SplitOn(mountinfo, '\n')) {
    // "<id> <parent> <maj:min> <root> <mount point> <options> [optional...] - <type> <source>
    // <super options>"
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::vector<std::string> head = SplitOn(line.substr(0, dash), ' ');
    std::vector<std::string> tail = SplitOn(line.substr(dash + 3), ' ');
    if (head.size() < 5 || tail.size() < 3) continue;
    const std::string& mount_point = head[4];
    if (tail[0] == "cgroup2") {
      if (mounts.v2.empty()) mounts.v2 = mount_point;
    } else if (tail[0] == "cgroup") {
      for (const std::string& option : SplitOn(tail[2], ',')) {
        if (option == "rw" || option == "ro" || option.find('=') != std::string::npos) continue;
        mounts.v1.emplace(option, mount_point);
      }
    }
  }
  return mounts;
}

CgroupPlan PrepareCgroups(const CgroupMounts& mounts) {
  CgroupPlan plan;
  std::vector<std::string> wanted = {"memory", "cpu", "pids"};
  std::vector<std::string> on_v2;
  bool v2_kill = false;
  if (!mounts.v2.empty()) {
    std::string parent = mounts.v2 + "/corral";
    if (MakeDir(parent)) {
      std::vector<std::string> available = ReadWords(mounts.v2 + "/cgroup.controllers");
      for (const std::string& c : wanted) {
        if (!Contains(available, c)) continue;
        // The root may delegate; `corral` itself holds no processes, so it may too.
        WriteText(mounts.v2 + "/cgroup.subtree_control", "+" + c);
        WriteText(parent + "/cgroup.subtree_control", "+" + c);
      }
      on_v2 = ReadWords(parent + "/cgroup.subtree_control");
      v2_kill = ::access((parent + "/cgroup.kill").c_str(), F_OK) == 0;
      plan.parents.push_back(parent);
      plan.summary = "cgroup2 " + parent + " (";
      for (const std::string& c : on_v2) plan.summary += c + " ";
      plan.summary += v2_kill ? "cgroup.kill)" : "no cgroup.kill)";
    }
  }
  std::vector<std::string> from_v1;
  if (!v2_kill) wanted.push_back("freezer");
  for (const std::string& c : wanted) {
    if (Contains(on_v2, c)) continue;
    auto it = mounts.v1.find(c);
    if (it == mounts.v1.end()) continue;
    std::string parent = it->second + "/corral";
    if (Contains(plan.parents, parent) || !MakeDir(parent)) continue;
    plan.parents.push_back(parent);
    from_v1.push_back(c);
  }
  if (!from_v1.empty()) {
    if (!plan.summary.empty()) plan.summary += "; ";
    plan.summary += "cgroup v1:";
    for (const std::string& c : from_v1) plan.summary += " " + c;
  }
  if (plan.parents.empty())
    plan.summary = "no writable cgroup; the shim kills the tree as a subreaper";
  return plan;
}

std::string CgroupLeaf(const std::string& root_dir, int64_t job, int attempt, int replica) {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a: stable across builds and restarts
  for (unsigned char c : root_dir) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "%08x-%lld-%d-%d", static_cast<unsigned>(hash & 0xffffffffu),
                static_cast<long long>(job), attempt, replica);
  return buf;
}

void KillCgroupMembers(const std::vector<std::string>& dirs) {
  for (const std::string& dir : dirs) {
    if (WriteText(dir + "/cgroup.kill", "1")) continue;
    std::istringstream in(ReadSmallFile(dir + "/cgroup.procs").value_or(""));
    for (long pid; in >> pid;) {
      if (pid > 0) ::kill(static_cast<pid_t>(pid), SIGKILL);
    }
  }
  // Killed processes leave their cgroups within moments; an empty cgroup can be removed.
  for (int i = 0; i < 50; ++i) {
    bool all_gone = true;
    for (const std::string& dir : dirs) {
      if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) all_gone = false;
    }
    if (all_gone) break;
    ::usleep(2000);
  }
}

}  // namespace corral::exec
