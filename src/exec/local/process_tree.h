#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

// What holds one replica's processes together so that all of them can be limited and killed,
// including helpers that left the process group (`setsid`, double fork). Used by the shim, so it
// links nothing beyond libc and libstdc++.
namespace corral::exec {

struct TreeLimits {
  int64_t memory_bytes = 0;  // 0: no limit
  int64_t cpu_millis = 0;    // CPU time per wall second, in thousandths of a CPU; 0: no limit
  int64_t pids_max = 0;      // 0: no limit
};

// Every live process below `root` (children, grandchildren, ...), from one scan of /proc.
std::vector<pid_t> Descendants(pid_t root);

class ProcessTree {
 public:
  // Creates the given cgroup directories (cgroup v2 or v1 hierarchies, told apart by their
  // files) and writes the limits each supports. Problems are appended to `warnings` (one line
  // each); whatever could not be created is simply not used. Makes this process a child
  // subreaper, so that orphaned descendants are reparented here instead of to init.
  void Create(const std::vector<std::string>& cgroup_dirs, const TreeLimits& limits,
              std::string& warnings);

  // In the forked child, before exec: moves the calling process into every created cgroup.
  // Uses only open/write/close on paths prepared by Create. Returns 0 or an errno value.
  int JoinFromChild() const;

  // How the tree is killed: "cgroup2" (cgroup.kill), "cgroup1-freezer" (freeze, kill every
  // member, thaw) or "subreaper" (kill every descendant found in /proc, repeatedly).
  const char* KillMechanism() const;
  // Human-readable summary for the replica's log.
  std::string Describe() const;

  // Sends `sig` to every process of the tree.
  void SignalAll(int sig) const;
  // SIGKILLs the tree until no process of it is left, reaping this process's children on the
  // way. Returns the status of `main_child` if it was reaped here (else leaves it untouched).
  void KillAllAndWait(pid_t main_child, int* main_status, bool* main_reaped) const;
  // Removes the cgroups (they are empty by then).
  void Remove() const;

 private:
  std::vector<pid_t> Members() const;

  std::vector<std::string> dirs_;         // created cgroup directories
  std::vector<std::string> procs_files_;  // <dir>/cgroup.procs for each
  std::string kill_file_;                 // cgroup.kill of the v2 cgroup, when there is one
  std::string freezer_dir_;               // v1 freezer cgroup, when there is one
  std::vector<std::string> limited_;      // "memory", "cpu", "pids" as applied
};

}  // namespace corral::exec
