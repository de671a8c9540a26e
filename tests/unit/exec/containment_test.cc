// What holds a replica together: its whole process tree dies with it (cgroups, or the shim as a
// subreaper where none is writable), its output is capped, and it runs as the account it is given.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>

#include "exec/local/cgroup_setup.h"
#include "exec/local/file_io.h"
#include "exec/local/local_executor.h"
#include "exec/local/records.h"
#include "unit/exec/event_collector.h"
#include "unit/exec/test_files.h"

namespace corral::exec {
namespace {

using testing::EventCollector;
using ::testing::HasSubstr;
using testing::OptionsFor;
using testing::ReadText;
using testing::ScriptSpec;
using testing::TempDir;
using testing::WaitForFile;
using Kind = ExecEvent::Kind;

// Alive and not a zombie.
bool ProcessLives(pid_t pid) {
  std::string stat = ReadText("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return false;
  size_t close = stat.rfind(')');
  return close != std::string::npos && stat.compare(close, 3, ") Z") != 0;
}

// A helper that leaves the job's process group and session, as daemons do.
constexpr const char* kEscapingHelper =
    "setsid sh -c 'echo $$ > escaped.pid; exec sleep 1000' &\n"
    "while [ ! -s escaped.pid ]; do sleep 0.01; done\n";

class ContainmentTest : public ::testing::TestWithParam<bool> {
 protected:
  ContainmentTest() {
    LocalExecutorOptions options = OptionsFor(root_.path());
    options.use_cgroups = GetParam();
    options.max_log_bytes = 1000;
    executor_ = std::make_unique<LocalExecutor>(options);
    executor_->SetEventSink(events_.Sink());
  }
  std::string WorkDir(const ReplicaRef& ref) const {
    return root_.path() + "/jobs/" + std::to_string(ref.job.value) + "/" +
           std::to_string(ref.attempt) + "/" + std::to_string(ref.replica) + "/work";
  }
  pid_t EscapedPid(const ReplicaRef& ref) const {
    return static_cast<pid_t>(std::stol(ReadText(WorkDir(ref) + "/escaped.pid")));
  }

  TempDir root_;
  EventCollector events_;
  std::unique_ptr<LocalExecutor> executor_;
};

TEST_P(ContainmentTest, TerminateKillsAHelperThatCalledSetsid) {
  executor_->Launch(ScriptSpec(1, std::string(kEscapingHelper) + "touch ready\nexec sleep 1000\n"));
  ReplicaRef ref{JobId(1), 1, 0};
  ASSERT_TRUE(WaitForFile(WorkDir(ref) + "/ready"));
  pid_t escaped = EscapedPid(ref);
  ASSERT_TRUE(ProcessLives(escaped));
  executor_->Terminate(JobId(1), 1, std::chrono::milliseconds(200));
  std::optional<ExecEvent> exited = events_.WaitFor(Kind::kExited, ref);
  ASSERT_TRUE(exited);
  // The exit is reported only once nothing of the replica is left: no waiting here.
  EXPECT_FALSE(ProcessLives(escaped));
  if (GetParam()) {
    EXPECT_FALSE(exited->containment.empty());
  } else {
    EXPECT_EQ(exited->containment, "subreaper");
  }
}

TEST_P(ContainmentTest, AHelperDoesNotOutliveTheCommand) {
  executor_->Launch(ScriptSpec(2, std::string(kEscapingHelper) + "exit 0\n"));
  ReplicaRef ref{JobId(2), 1, 0};
  std::optional<ExecEvent> exited = events_.WaitFor(Kind::kExited, ref);
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->exit_code, 0);
  EXPECT_FALSE(ProcessLives(EscapedPid(ref)));
}

TEST_P(ContainmentTest, LogKeepsTheHeadUpToTheCapAndTheJobRunsOn) {
  // 20 kB of output against a 1000-byte cap; the command must not block and must finish.
  executor_->Launch(ScriptSpec(
      3,
      "i=0; while [ $i -lt 2000 ]; do echo 123456789; i=$((i+1)); done\ntouch finished\nexit 3\n"));
  ReplicaRef ref{JobId(3), 1, 0};
  std::optional<ExecEvent> exited = events_.WaitFor(Kind::kExited, ref);
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->exit_code, 3);
  EXPECT_TRUE(exited->log_truncated);
  EXPECT_TRUE(PathExists(WorkDir(ref) + "/finished"));
  std::string log = ReadText(executor_->LogPath(ref));
  EXPECT_THAT(log, HasSubstr("123456789\n"));
  EXPECT_THAT(log,
              HasSubstr("corral: log limit of 1000 bytes reached; further output discarded\n"));
  // The head up to the cap, the shim's own lines and the notice; nothing of the rest.
  EXPECT_LT(log.size(), 1000u + 600u);
  std::string log_path = executor_->LogPath(ref);
  Result<ExitRecord> record =
      ParseExitRecord(ReadText(log_path.substr(0, log_path.rfind('/')) + "/exit.json"));
  ASSERT_TRUE(record.ok());
  EXPECT_TRUE(record->log_truncated);
}

TEST_P(ContainmentTest, OutputBelowTheCapIsNotTruncated) {
  executor_->Launch(ScriptSpec(4, "echo short\n"));
  ReplicaRef ref{JobId(4), 1, 0};
  std::optional<ExecEvent> exited = events_.WaitFor(Kind::kExited, ref);
  ASSERT_TRUE(exited);
  EXPECT_FALSE(exited->log_truncated);
  EXPECT_THAT(ReadText(executor_->LogPath(ref)), HasSubstr("short\n"));
}

INSTANTIATE_TEST_SUITE_P(CgroupsOrSubreaper, ContainmentTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Cgroups" : "Subreaper"; });

TEST(ContainmentRunAsTest, RunsAsTheGivenAccountWithoutPrivileges) {
  if (::geteuid() != 0) GTEST_SKIP() << "switching accounts needs root";
  struct passwd* pw = ::getpwnam("nobody");
  ASSERT_NE(pw, nullptr) << "the test needs the 'nobody' account";
  TempDir root;
  // The server opens its data directory to traversal (0711) when it runs jobs as other users.
  ASSERT_EQ(::chmod(root.path().c_str(), 0711), 0);
  EventCollector events;
  LocalExecutor executor(OptionsFor(root.path()));
  executor.SetEventSink(events.Sink());
  LaunchSpec spec = ScriptSpec(5,
                               "echo \"uid=$(id -u) gid=$(id -g) user=$USER home=$HOME\"\n"
                               "grep -E '^(NoNewPrivs|CapEff):' /proc/self/status\n"
                               "touch mine && echo wrote-workdir\n");
  spec.run_as = RunAs{"nobody", pw->pw_uid, pw->pw_gid, pw->pw_dir, pw->pw_shell};
  executor.Launch(spec);
  ReplicaRef ref{JobId(5), 1, 0};
  std::optional<ExecEvent> exited = events.WaitFor(Kind::kExited, ref);
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->exit_code, 0);
  std::string log = ReadText(executor.LogPath(ref));
  EXPECT_THAT(log, HasSubstr("uid=" + std::to_string(pw->pw_uid) + " gid=" +
                             std::to_string(pw->pw_gid) + " user=nobody home=" + pw->pw_dir));
  EXPECT_THAT(log, HasSubstr("NoNewPrivs:\t1"));
  EXPECT_THAT(log, HasSubstr("CapEff:\t0000000000000000"));
  EXPECT_THAT(log, HasSubstr("wrote-workdir"));
  // The log is the server's alone; the working directory the job's alone.
  struct stat st {};
  ASSERT_EQ(::stat(executor.LogPath(ref).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string work = root.path() + "/jobs/5/1/0/work";
  ASSERT_EQ(::stat(work.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, pw->pw_uid);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

TEST(ContainmentLimitsTest, MemoryAndCpuLimitsComeFromTheSpec) {
  TempDir root;
  EventCollector events;
  LocalExecutor executor(OptionsFor(root.path()));
  executor.SetEventSink(events.Sink());
  LaunchSpec spec = ScriptSpec(6, "touch ready\nexec sleep 30\n");
  spec.memory_mb = 64;
  spec.cpus = 2;
  executor.Launch(spec);
  ReplicaRef ref{JobId(6), 1, 0};
  std::optional<ExecEvent> started = events.WaitFor(Kind::kStarted, ref);
  ASSERT_TRUE(started);
  if (started->containment.find("limits: memory") == std::string::npos) {
    executor.Terminate(JobId(6), 1, std::chrono::milliseconds(0));
    GTEST_SKIP() << "no writable memory controller on this host: " << started->containment;
  }
  std::string dir = root.path() + "/jobs/6/1/0";
  ASSERT_TRUE(WaitForFile(dir + "/work/ready"));
  Result<ShimRecord> shim = ParseShimRecord(ReadText(dir + "/shim.json"));
  ASSERT_TRUE(shim.ok());
  CgroupMounts mounts = ParseCgroupMounts(ReadText("/proc/self/mountinfo"));
  bool memory_seen = false, cpu_seen = false;
  std::istringstream lines(ReadText("/proc/" + std::to_string(shim->child_pid) + "/cgroup"));
  for (std::string line; std::getline(lines, line);) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (path.find("/corral/") == std::string::npos) continue;
    if (controllers.empty()) {
      std::string v2 = mounts.v2 + path;
      if (PathExists(v2 + "/memory.max")) {
        EXPECT_EQ(Trimmed(ReadText(v2 + "/memory.max")), "67108864");
        memory_seen = true;
      }
      if (PathExists(v2 + "/cpu.max")) {
        EXPECT_EQ(Trimmed(ReadText(v2 + "/cpu.max")), "200000 100000");
        cpu_seen = true;
      }
      continue;
    }
    if (controllers == "memory") {
      EXPECT_EQ(Trimmed(ReadText(mounts.v1["memory"] + path + "/memory.limit_in_bytes")),
                "67108864");
      memory_seen = true;
    } else if (controllers.find("cpu") != std::string::npos &&
               PathExists(mounts.v1["cpu"] + path + "/cpu.cfs_quota_us")) {
      EXPECT_EQ(Trimmed(ReadText(mounts.v1["cpu"] + path + "/cpu.cfs_quota_us")), "200000");
      cpu_seen = true;
    }
  }
  EXPECT_TRUE(memory_seen);
  EXPECT_EQ(cpu_seen, started->containment.find(" cpu") != std::string::npos);
  executor.Terminate(JobId(6), 1, std::chrono::milliseconds(0));
  ASSERT_TRUE(events.WaitFor(Kind::kExited, ref));
}

TEST(CgroupMountsTest, FindsTheV2MountAndV1Controllers) {
  CgroupMounts mounts = ParseCgroupMounts(
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n"
      "40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n");
  EXPECT_EQ(mounts.v2, "/sys/fs/cgroup/unified");
  EXPECT_EQ(mounts.v1["cpu"], "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(mounts.v1["cpuacct"], "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(mounts.v1["memory"], "/sys/fs/cgroup/memory");
  EXPECT_EQ(mounts.v1.count("name=systemd"), 0u);

  CgroupMounts pure_v2 =
      ParseCgroupMounts("25 20 0:23 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
  EXPECT_EQ(pure_v2.v2, "/sys/fs/cgroup");
  EXPECT_TRUE(pure_v2.v1.empty());
}

TEST(CgroupMountsTest, LeafNamesDifferPerRootAndReplica) {
  EXPECT_NE(CgroupLeaf("/a", 1, 1, 0), CgroupLeaf("/b", 1, 1, 0));
  EXPECT_NE(CgroupLeaf("/a", 1, 1, 0), CgroupLeaf("/a", 1, 1, 1));
  EXPECT_EQ(CgroupLeaf("/a", 7, 2, 1), CgroupLeaf("/a", 7, 2, 1));
}

}  // namespace
}  // namespace corral::exec
