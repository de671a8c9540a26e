#include "cli/job_view.h"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/time_format.h"

namespace corral::cli {
namespace {

const TimePoint kNow = *ParseTimestamp("2026-11-28T14:00:00Z");

nlohmann::json RunningJob() {
  return nlohmann::json::parse(R"({
    "id": 12, "name": "train", "owner": "alice", "state": "running", "reason": "",
    "submitted_at": "2026-11-28T13:56:50.000Z", "started_at": "2026-11-28T13:57:00.000Z",
    "ended_at": null, "exit_code": null, "attempt": 1,
    "spec": {"command": ["python3", "train.py", "--note", "a b"], "replicas": 2,
             "resources": {"gpus": 2, "cpus": 4, "memory_mb": 0}, "env": {"K": "V"},
             "workdir": "/home/alice/proj", "priority": "normal", "queue": "default",
             "time_limit_s": 3600, "retry": {"max_retries": 1}, "labels": {"team": "a"},
             "preemptible": true},
    "placement": [{"replica": 0, "node": "sim-0", "gpus": [0, 1]},
                  {"replica": 1, "node": "sim-1", "gpus": [2, 3]}],
    "attempts": [{"number": 1, "started_at": "2026-11-28T13:57:00.000Z", "ended_at": null,
                  "exit_code": null, "end_reason": "", "replicas": [
                    {"index": 0, "node": "sim-0", "gpus": [0, 1], "state": "running",
                     "exit_code": null, "signal": null, "external_id": "4242"}]}]})");
}

nlohmann::json PendingJob() {
  return nlohmann::json::parse(R"({
    "id": 13, "name": "", "owner": "bob", "state": "pending",
    "reason": "waiting for 8 GPUs; 2 free", "submitted_at": "2026-11-28T13:59:00Z",
    "started_at": null, "spec": {"script": "echo hi\nsleep 1\n", "replicas": 1,
                                 "resources": {"gpus": 8}}, "placement": [], "attempts": []})");
}

TEST(RenderJobTableTest, DefaultColumns) {
  std::ostringstream out;
  RenderJobTable({RunningJob(), PendingJob()}, kNow, /*wide=*/false, out);
  EXPECT_EQ(out.str(),
            "ID   NAME    USER    STATE     GPUS   NODE          AGE     DURATION   REASON\n"
            "12   train   alice   running   4      sim-0,sim-1   3m10s   3m\n"
            "13   -       bob     pending   8      -             1m      -          waiting for 8 "
            "GPUs; 2 free\n");
}

TEST(RenderJobTableTest, WideAddsSchedulingColumnsAndCommand) {
  std::ostringstream out;
  RenderJobTable({RunningJob(), PendingJob()}, kNow, /*wide=*/true, out);
  std::string text = out.str();
  EXPECT_NE(text.find("REPLICAS"), std::string::npos);
  EXPECT_NE(text.find("sim-0[0,1],sim-1[2,3]"), std::string::npos);
  EXPECT_NE(text.find("normal*"), std::string::npos);  // preemptible marker
  EXPECT_NE(text.find("python3 train.py --note 'a b'"), std::string::npos);
  EXPECT_NE(text.find("script: echo hi ..."), std::string::npos);
}

TEST(RenderJobDescriptionTest, ShowsSpecPlacementAndAttempts) {
  std::ostringstream out;
  RenderJobDescription(RunningJob(), kNow, out);
  std::string text = out.str();
  for (const char* expected :
       {"ID:           12\n", "State:        running\n",
        "Started:      2026-11-28T13:57:00.000Z (3m ago)\n",
        "  Command:    python3 train.py --note 'a b'\n", "  Workdir:    /home/alice/proj\n",
        "  Resources:  2 replicas x (2 GPUs, 4 CPUs, memory not set)\n",
        "  Priority:   normal (preemptible)\n", "  Time limit: 1h\n", "    K=V\n", "    team=a\n",
        "  replica 0: sim-0 GPUs [0,1]\n", "  replica 1: sim-1 GPUs [2,3]\n",
        "  #1  started 2026-11-28T13:57:00.000Z  ended -  exit -\n",
        "    replica 0  sim-0 GPUs [0,1]  running  exit -  id 4242\n"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n"
                                                      << text;
  }
}

TEST(RenderJobDescriptionTest, PendingJobShowsReasonAndScript) {
  std::ostringstream out;
  RenderJobDescription(PendingJob(), kNow, out);
  std::string text = out.str();
  EXPECT_NE(text.find("Reason:       waiting for 8 GPUs; 2 free\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  Script:\n    echo hi\n    sleep 1\n  Workdir"), std::string::npos) << text;
  EXPECT_NE(text.find("Attempts:     none yet"), std::string::npos) << text;
}

TEST(RenderJobDescriptionTest, KilledReplicaShowsSignalName) {
  auto job = RunningJob();
  job["state"] = "failed";
  job["attempts"][0]["replicas"][0]["signal"] = 9;
  std::ostringstream out;
  RenderJobDescription(job, kNow, out);
  EXPECT_NE(out.str().find("killed by SIGKILL"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("Exit code:    SIGKILL"), std::string::npos) << out.str();
}

TEST(ShellJoinTest, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(ShellJoin({"python3", "-m", "pkg.mod", "--lr=0.1"}), "python3 -m pkg.mod --lr=0.1");
  EXPECT_EQ(ShellJoin({"echo", "it's", "", "$HOME"}), "echo 'it'\\''s' '' '$HOME'");
}

TEST(TotalGpusTest, MultipliesReplicas) {
  EXPECT_EQ(TotalGpus(RunningJob()), 4);
  EXPECT_EQ(TotalGpus(nlohmann::json::object()), 0);
}

}  // namespace
}  // namespace corral::cli
