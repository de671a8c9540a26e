#include "exec/local/local_executor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "exec/local/file_io.h"
#include "exec/local/proc_stat.h"
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
using ::testing::StartsWith;
using testing::TempDir;
using testing::WaitForFile;
using Kind = ExecEvent::Kind;

int CountLines(const std::string& path) {
  std::string text = ReadText(path);
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

class LocalExecutorTest : public ::testing::Test {
 protected:
  LocalExecutorTest() : executor_(std::make_unique<LocalExecutor>(OptionsFor(root_.path()))) {
    executor_->SetEventSink(events_.Sink());
  }
  std::string Dir(const ReplicaRef& ref) const {
    return root_.path() + "/jobs/" + std::to_string(ref.job.value) + "/" +
           std::to_string(ref.attempt) + "/" + std::to_string(ref.replica);
  }
  // The job's own directory, its default working directory.
  std::string WorkDir(const ReplicaRef& ref) const { return Dir(ref) + "/work"; }

  TempDir root_;
  EventCollector events_;
  std::unique_ptr<LocalExecutor> executor_;
};

TEST_F(LocalExecutorTest, RunsCommandAndReportsExitCode) {
  LaunchSpec spec;
  spec.job = JobId(1);
  spec.argv = {"/bin/sh", "-c", "exit 3"};
  spec.replicas = {ReplicaLaunch{0, "node-a", {}, {}}};
  executor_->Launch(spec);
  ReplicaRef ref{JobId(1), 1, 0};
  std::optional<ExecEvent> started = events_.WaitFor(Kind::kStarted, ref);
  ASSERT_TRUE(started);
  EXPECT_THAT(started->external_id, StartsWith("local:"));
  std::optional<ExecEvent> exited = events_.WaitFor(Kind::kExited, ref);
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->exit_code, 3);
  EXPECT_FALSE(exited->term_signal.has_value());
  EXPECT_FALSE(exited->timed_out);
  EXPECT_LE(started->time, exited->time);
  // The records a restarted server relies on are on disk.
  Result<ShimRecord> shim = ParseShimRecord(ReadText(Dir(ref) + "/shim.json"));
  ASSERT_TRUE(shim.ok());
  EXPECT_EQ("local:" + std::to_string(shim->shim_pid), started->external_id);
  EXPECT_EQ(shim->child_pgid, shim->child_pid);
  Result<ExitRecord> exit = ParseExitRecord(ReadText(Dir(ref) + "/exit.json"));
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->exit_code, 3);
}

TEST_F(LocalExecutorTest, CapturesStdoutAndStderrInOneLog) {
  executor_->Launch(ScriptSpec(2, "echo to-stdout\necho to-stderr >&2\n"));
  ReplicaRef ref{JobId(2), 1, 0};
  ASSERT_TRUE(events_.WaitFor(Kind::kExited, ref));
  EXPECT_EQ(executor_->LogPath(ref), Dir(ref) + "/output.log");
  std::string log = ReadText(executor_->LogPath(ref));
  EXPECT_THAT(log, HasSubstr("to-stdout\n"));
  EXPECT_THAT(log, HasSubstr("to-stderr\n"));
}

TEST_F(LocalExecutorTest, SetsEnvironmentAndWorkdirPerReplica) {
  LaunchSpec spec =
      ScriptSpec(3,
                 "echo \"CVD=[$CUDA_VISIBLE_DEVICES] NVD=[$NVIDIA_VISIBLE_DEVICES]\"\n"
                 "echo \"JOB=$CORRAL_JOB_ID ATTEMPT=$CORRAL_ATTEMPT\"\n"
                 "echo \"REPLICA=$CORRAL_REPLICA/$CORRAL_REPLICAS NODE=$CORRAL_NODE\"\n"
                 "echo \"FOO=$FOO RANK=$RANK PATHSET=${PATH:+yes}\"\n"
                 "echo \"PWD=$(pwd)\"\n",
                 2);
  spec.attempt = 2;
  spec.env = {{"FOO", "bar"}};
  spec.replicas[0].gpus = {1, 3};
  spec.replicas[0].env = {{"RANK", "0"}};
  spec.replicas[1].node = "node-b";
  spec.replicas[1].env = {{"RANK", "1"}};
  executor_->Launch(spec);
  ReplicaRef r0{JobId(3), 2, 0}, r1{JobId(3), 2, 1};
  ASSERT_TRUE(events_.WaitFor(Kind::kExited, r0));
  ASSERT_TRUE(events_.WaitFor(Kind::kExited, r1));
  std::string log0 = ReadText(executor_->LogPath(r0));
  std::string log1 = ReadText(executor_->LogPath(r1));
  EXPECT_THAT(log0, HasSubstr("CVD=[1,3] NVD=[1,3]"));
  EXPECT_THAT(log1, HasSubstr("CVD=[] NVD=[none]"));
  EXPECT_THAT(log0, HasSubstr("JOB=3 ATTEMPT=2"));
  EXPECT_THAT(log0, HasSubstr("REPLICA=0/2 NODE=node-a"));
  EXPECT_THAT(log1, HasSubstr("REPLICA=1/2 NODE=node-b"));
  EXPECT_THAT(log0, HasSubstr("FOO=bar RANK=0 PATHSET=yes"));
  EXPECT_THAT(log1, HasSubstr("FOO=bar RANK=1"));
  EXPECT_THAT(log0, HasSubstr("PWD=" + std::filesystem::canonical(WorkDir(r0)).string()));
}

TEST_F(LocalExecutorTest, UsesGivenWorkdir) {
  LaunchSpec spec = ScriptSpec(4, "pwd\n");
  spec.workdir = root_.path();
  executor_->Launch(spec);
  ReplicaRef ref{JobId(4), 1, 0};
  ASSERT_TRUE(events_.WaitFor(Kind::kExited, ref));
  EXPECT_THAT(ReadText(executor_->LogPath(ref)),
              HasSubstr(std::filesystem::canonical(root_.path()).string() + "\n"));
}

TEST_F(LocalExecutorTest, ReportsExecFailureAsLaunchFailed) {
  LaunchSpec spec;
  spec.job = JobId(5);
  spec.argv = {"/nonexistent/corral-test-program", "x"};
  spec.replicas = {ReplicaLaunch{0, "node-a", {}, {}}};
  executor_->Launch(spec);
  ReplicaRef ref{JobId(5), 1, 0};
  std::optional<ExecEvent> failed = events_.WaitFor(Kind::kLaunchFailed, ref);
  ASSERT_TRUE(failed);
  EXPECT_THAT(failed->message, HasSubstr("No such file or directory"));
  EXPECT_EQ(failed->exit_code, 127);
  EXPECT_THAT(ReadText(executor_->LogPath(ref)), HasSubstr("/nonexistent/corral-test-program"));
  for (const ExecEvent& e : events_.For(ref)) EXPECT_NE(e.kind, Kind::kStarted);
}

TEST_F(LocalExecutorTest, RejectsSpecWithBothArgvAndScript) {
  LaunchSpec spec = ScriptSpec(6, "true\n");
  spec.argv = {"true"};
  executor_->Launch(spec);
  std::optional<ExecEvent> failed =
      events_.WaitFor(Kind::kLaunchFailed, ReplicaRef{JobId(6), 1, 0});
  ASSERT_TRUE(failed);
  EXPECT_THAT(failed->message, HasSubstr("exactly one"));
}

TEST_F(LocalExecutorTest, TerminateStopsACooperativeChildWithSigterm) {
  executor_->Launch(ScriptSpec(7, "touch ready\nexec sleep 30\n"));
  ReplicaRef ref{JobId(7), 1, 0};
  ASSERT_TRUE(events_.WaitFor(Kind::kStarted, ref));
  ASSERT_TRUE(WaitForFile(WorkDir(ref) + "/ready"));
  executor_->Terminate(JobId(7), 1, std::chrono::seconds(10));
  std::optional<ExecEvent> exited = events_.WaitFor(Kind::kExited, ref);
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->term_signal, SIGTERM);
  EXPECT_FALSE(exited->timed_out);
}

TEST_F(LocalExecutorTest, TerminateKillsAChildIgnoringSigtermAfterGrace) {
  // The trap is set before `ready` appears, so SIGTERM is certainly ignored by then.
  executor_->Launch(ScriptSpec(8, "trap '' TERM\ntouch ready\nsleep 30\n"));
  ReplicaRef ref{JobId(8), 1, 0};
  ASSERT_TRUE(WaitForFile(WorkDir(ref) + "/ready"));
  executor_->Terminate(JobId(8), 1, std::chrono::milliseconds(200));
  executor_->Terminate(JobId(8), 1, std::chrono::milliseconds(200));  // idempotent
  std::optional<ExecEvent> exited = events_.WaitFor(Kind::kExited, ref);
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->term_signal, SIGKILL);
  EXPECT_THAT(ReadText(Dir(ref) + "/kill_grace_ms"), "200");
}

TEST_F(LocalExecutorTest, TerminateBeforeLaunchMeansTheCommandNeverRuns) {
  executor_->Terminate(JobId(9), 1, std::chrono::milliseconds(100));
  executor_->Launch(ScriptSpec(9, "echo ran >> " + root_.path() + "/runs\n"));
  ReplicaRef ref{JobId(9), 1, 0};
  std::optional<ExecEvent> exited = events_.WaitFor(Kind::kExited, ref);
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->term_signal, SIGTERM);
  EXPECT_FALSE(PathExists(root_.path() + "/runs"));
}

TEST_F(LocalExecutorTest, TimeLimitTerminatesAndIsRecorded) {
  LaunchSpec spec = ScriptSpec(10, "exec sleep 30\n");
  spec.time_limit = std::chrono::milliseconds(200);
  spec.kill_grace = std::chrono::milliseconds(100);
  executor_->Launch(spec);
  ReplicaRef ref{JobId(10), 1, 0};
  std::optional<ExecEvent> exited = events_.WaitFor(Kind::kExited, ref);
  ASSERT_TRUE(exited);
  EXPECT_TRUE(exited->timed_out);
  EXPECT_EQ(exited->term_signal, SIGTERM);
  EXPECT_THAT(ReadText(executor_->LogPath(ref)), HasSubstr("time limit"));
  Result<ExitRecord> record = ParseExitRecord(ReadText(Dir(ref) + "/exit.json"));
  ASSERT_TRUE(record.ok());
  EXPECT_TRUE(record->timed_out);
}

TEST_F(LocalExecutorTest, TimeLimitEscalatesToSigkill) {
  LaunchSpec spec = ScriptSpec(11, "trap '' TERM\nsleep 30\n");
  spec.time_limit = std::chrono::milliseconds(100);
  spec.kill_grace = std::chrono::milliseconds(100);
  executor_->Launch(spec);
  std::optional<ExecEvent> exited = events_.WaitFor(Kind::kExited, ReplicaRef{JobId(11), 1, 0});
  ASSERT_TRUE(exited);
  EXPECT_TRUE(exited->timed_out);
  EXPECT_EQ(exited->term_signal, SIGKILL);
}

TEST_F(LocalExecutorTest, SecondLaunchOfTheSameAttemptIsRefused) {
  const std::string runs = root_.path() + "/runs";
  LaunchSpec spec =
      ScriptSpec(12, "echo ran >> " + runs + "\nwhile [ ! -e go ]; do sleep 0.01; done\n");
  executor_->Launch(spec);
  ReplicaRef ref{JobId(12), 1, 0};
  ASSERT_TRUE(events_.WaitFor(Kind::kStarted, ref));
  executor_->Launch(spec);  // while it runs
  std::optional<ExecEvent> refused = events_.WaitFor(Kind::kLaunchFailed, ref);
  ASSERT_TRUE(refused);
  EXPECT_THAT(refused->message, HasSubstr("already running"));
  std::ofstream(WorkDir(ref) + "/go").close();
  ASSERT_TRUE(events_.WaitFor(Kind::kExited, ref));
  executor_->Launch(spec);  // after it ended
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  int refusals = 0;
  for (const ExecEvent& e : events_.For(ref)) refusals += e.kind == Kind::kLaunchFailed;
  EXPECT_EQ(refusals, 2);
  EXPECT_EQ(CountLines(runs), 1);
}

TEST_F(LocalExecutorTest, ShimKilledMeansLostAndTheCommandIsStopped) {
  executor_->Launch(ScriptSpec(13, "exec sleep 30\n"));
  ReplicaRef ref{JobId(13), 1, 0};
  ASSERT_TRUE(events_.WaitFor(Kind::kStarted, ref));
  Result<ShimRecord> shim = ParseShimRecord(ReadText(Dir(ref) + "/shim.json"));
  ASSERT_TRUE(shim.ok());
  ASSERT_TRUE(IsSameProcess(shim->child_pid, shim->child_start_ticks));
  ::kill(shim->shim_pid, SIGKILL);
  std::optional<ExecEvent> lost = events_.WaitFor(Kind::kLost, ref);
  ASSERT_TRUE(lost);
  EXPECT_THAT(lost->message, HasSubstr("exit record"));
  // The orphaned command was killed; it is reaped by init (or is a zombie) shortly after.
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    std::string stat = ReadText("/proc/" + std::to_string(shim->child_pid) + "/stat");
    gone = stat.empty() || stat.find(") Z") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone);
}

TEST_F(LocalExecutorTest, AdoptAfterRestartReportsAFinishedReplica) {
  executor_->Launch(ScriptSpec(14, "exit 5\n"));
  ReplicaRef ref{JobId(14), 1, 0};
  std::optional<ExecEvent> started = events_.WaitFor(Kind::kStarted, ref);
  ASSERT_TRUE(events_.WaitFor(Kind::kExited, ref));
  executor_->Shutdown();

  EventCollector after_restart;
  LocalExecutor restarted(OptionsFor(root_.path()));
  restarted.SetEventSink(after_restart.Sink());
  restarted.Adopt(ref, started->external_id);
  std::optional<ExecEvent> exited = after_restart.WaitFor(Kind::kExited, ref);
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->exit_code, 5);
}

TEST_F(LocalExecutorTest, AdoptAfterRestartWatchesARunningReplica) {
  const std::string runs = root_.path() + "/runs";
  executor_->Launch(
      ScriptSpec(15, "echo ran >> " + runs + "\nwhile [ ! -e go ]; do sleep 0.01; done\nexit 7\n"));
  ReplicaRef ref{JobId(15), 1, 0};
  std::optional<ExecEvent> started = events_.WaitFor(Kind::kStarted, ref);
  ASSERT_TRUE(started);
  executor_->Shutdown();  // the server goes away; the replica keeps running

  EventCollector after_restart;
  LocalExecutor restarted(OptionsFor(root_.path()));
  restarted.SetEventSink(after_restart.Sink());
  restarted.Adopt(ref, started->external_id);
  std::optional<ExecEvent> readopted = after_restart.WaitFor(Kind::kStarted, ref);
  ASSERT_TRUE(readopted);
  EXPECT_EQ(readopted->external_id, started->external_id);
  EXPECT_EQ(readopted->time, started->time);
  EXPECT_FALSE(after_restart.WaitFor(Kind::kExited, ref, std::chrono::milliseconds(50)));
  std::ofstream(WorkDir(ref) + "/go").close();
  std::optional<ExecEvent> exited = after_restart.WaitFor(Kind::kExited, ref);
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->exit_code, 7);
  EXPECT_EQ(CountLines(runs), 1);
}

TEST_F(LocalExecutorTest, AdoptedReplicaCanBeTerminated) {
  executor_->Launch(ScriptSpec(16, "exec sleep 30\n"));
  ReplicaRef ref{JobId(16), 1, 0};
  std::optional<ExecEvent> started = events_.WaitFor(Kind::kStarted, ref);
  ASSERT_TRUE(started);
  executor_->Shutdown();

  EventCollector after_restart;
  LocalExecutor restarted(OptionsFor(root_.path()));
  restarted.SetEventSink(after_restart.Sink());
  restarted.Adopt(ref, started->external_id);
  ASSERT_TRUE(after_restart.WaitFor(Kind::kStarted, ref));
  restarted.Terminate(JobId(16), 1, std::chrono::seconds(5));
  std::optional<ExecEvent> exited = after_restart.WaitFor(Kind::kExited, ref);
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->term_signal, SIGTERM);
}

TEST_F(LocalExecutorTest, AdoptOfAnUnknownReplicaIsLost) {
  ReplicaRef ref{JobId(17), 1, 0};
  executor_->Adopt(ref, "local:1");
  std::optional<ExecEvent> lost = events_.WaitFor(Kind::kLost, ref);
  ASSERT_TRUE(lost);
}

// The server is killed with SIGKILL right after the launch: the replica survives it, is adopted
// by the next server and runs exactly once.
TEST_F(LocalExecutorTest, ReplicaSurvivesServerKilledWithSigkill) {
  const std::string runs = root_.path() + "/runs";
  ReplicaRef ref{JobId(18), 1, 0};
  const std::string script =
      "echo ran >> " + runs + "\nwhile [ ! -e go ]; do sleep 0.01; done\nexit 4\n";
  pid_t server = ::fork();
  ASSERT_GE(server, 0);
  if (server == 0) {
    // exec at once: a fork of this multi-threaded process may not take locks or start threads.
    ::execl(CORRAL_DOOMED_SERVER_PATH, CORRAL_DOOMED_SERVER_PATH, root_.path().c_str(), "18",
            script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(server, &status, 0), server);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  executor_->Adopt(ref, "");
  ASSERT_TRUE(events_.WaitFor(Kind::kStarted, ref));
  std::ofstream(WorkDir(ref) + "/go").close();
  std::optional<ExecEvent> exited = events_.WaitFor(Kind::kExited, ref);
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->exit_code, 4);
  EXPECT_EQ(CountLines(runs), 1);
}

}  // namespace
}  // namespace corral::exec

namespace corral::exec {
namespace {

TEST(LocalExecutorShimTest, MissingShimBinaryIsALaunchFailure) {
  testing::TempDir root;
  LocalExecutorOptions options = testing::OptionsFor(root.path());
  options.shim_command = {"/nonexistent/corral-shim"};
  LocalExecutor executor(options);
  testing::EventCollector events;
  executor.SetEventSink(events.Sink());
  executor.Launch(testing::ScriptSpec(1, "true\n"));
  std::optional<ExecEvent> failed =
      events.WaitFor(ExecEvent::Kind::kLaunchFailed, ReplicaRef{JobId(1), 1, 0});
  ASSERT_TRUE(failed);
  EXPECT_THAT(failed->message, ::testing::HasSubstr("cannot start the shim"));
}

}  // namespace
}  // namespace corral::exec
