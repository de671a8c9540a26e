#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace corral::exec {

// The cgroup hierarchies mounted on this host, from /proc/self/mountinfo.
struct CgroupMounts {
  std::string v2;                         // mount point of the cgroup2 hierarchy; "" if none
  std::map<std::string, std::string> v1;  // controller ("memory", "cpu", ...) -> mount point
};

CgroupMounts ParseCgroupMounts(std::string_view mountinfo);

// Where each replica's cgroups go: one parent directory (`<mount>/corral`) per hierarchy used.
// A replica's cgroups are `<parent>/<leaf>` in every one of them.
struct CgroupPlan {
  std::vector<std::string> parents;
  std::string summary;  // for the server's log, e.g. "cgroup2 /sys/fs/cgroup/corral (memory cpu
                        // pids, cgroup.kill)"
};

// Creates the `corral` parents this process may write to and enables the controllers it can
// delegate: on cgroup v2 memory, cpu and pids when the hierarchy has them, and cgroup v1
// hierarchies for whatever v2 lacks (memory, cpu, pids; freezer when v2 has no cgroup.kill).
// Without any writable hierarchy the plan is empty and the shim falls back to a subreaper.
CgroupPlan PrepareCgroups(const CgroupMounts& mounts);

// The replica's cgroup leaf name: unique per executor root directory and replica, so that
// several servers on one host never share a cgroup.
std::string CgroupLeaf(const std::string& root_dir, int64_t job, int attempt, int replica);

// SIGKILLs every process in the given cgroup directories (for a replica whose shim died).
void KillCgroupMembers(const std::vector<std::string>& dirs);

}  // namespace corral::exec
