#include <gtest/gtest.h>

#include <algorithm>

#include "exec/slurm/batch_script.h"

namespace corral::exec::slurm {
namespace {

LaunchSpec TwoNodeGang() {
  LaunchSpec spec;
  spec.job = JobId{7};
  spec.attempt = 2;
  spec.argv = {"python3", "train.py", "--lr", "it's"};
  spec.env = {{"FOO", "a b"}};
  spec.cpus = 4;
  spec.time_limit = Duration(90'000);
  spec.kill_grace = Duration(5'000);
  for (int i = 0; i < 3; ++i) {
    ReplicaLaunch r;
    r.index = i;
    r.node = i < 2 ? "n1" : "n2";
    r.gpus = {2 * i, 2 * i + 1};
    r.env = {{"RANK", std::to_string(i)}, {"MASTER_ADDR", "10.0.0.11"}};
    spec.replicas.push_back(r);
  }
  spec.run_as = RunAs{"alice", 1001, 1002, "/home/alice", "/bin/bash"};
  return spec;
}

bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(BatchScriptTest, PinsNodesAndGpusPerNode) {
  BatchOptions o;
  o.spool_dir = "/spool";
  o.partition = "gpu";
  o.pass_account = true;
  auto job = BuildBatchJob(TwoNodeGang(), o);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  const auto& a = job->sbatch_args;
  EXPECT_TRUE(Has(a, "--nodelist=n1,n2"));
  EXPECT_TRUE(Has(a, "--nodes=2"));
  EXPECT_TRUE(Has(a, "--ntasks=3"));
  EXPECT_TRUE(Has(a, "--ntasks-per-node=2"));
  EXPECT_TRUE(Has(a, "--gres=gpu:4"));  // n1 holds two replicas of two GPUs
  EXPECT_TRUE(Has(a, "--cpus-per-task=4"));
  EXPECT_TRUE(Has(a, "--time=2"));  // 90 s rounds up to whole minutes
  EXPECT_TRUE(Has(a, "--partition=gpu"));
  EXPECT_TRUE(Has(a, "--job-name=corral-7-2"));
  EXPECT_TRUE(Has(a, "--uid=1001"));
  EXPECT_TRUE(Has(a, "--gid=1002"));
  EXPECT_TRUE(Has(a, "--no-requeue"));
  EXPECT_EQ(a.back(), "/spool/jobs/7/2/batch.sh");
}

TEST(BatchScriptTest, OneStepPerReplicaWithItsEnvironmentAndLog) {
  BatchOptions o;
  o.spool_dir = "/spool";
  o.base_env = {{"PATH", "/usr/bin:/bin"}};
  auto job = BuildBatchJob(TwoNodeGang(), o);
  ASSERT_TRUE(job.ok());
  const std::string& s = job->batch_script;
  EXPECT_NE(s.find("--nodelist=n1 --cpus-per-task=4 --gres=gpu:2 "
                   "--output=\"$D/replica-0.log\""),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("--nodelist=n2"), std::string::npos);
  EXPECT_NE(s.find("RANK=2"), std::string::npos);
  EXPECT_NE(s.find("CORRAL_NODE=n2"), std::string::npos);
  EXPECT_NE(s.find("export FOO='a b'"), std::string::npos);
  EXPECT_NE(s.find("export USER=alice"), std::string::npos);
  EXPECT_NE(s.find("export HOME=/home/alice"), std::string::npos);
  EXPECT_NE(s.find("'it'\\''s'"), std::string::npos);                      // quoted for the shell
  EXPECT_NE(s.find("sleep 5; scancel --signal=KILL"), std::string::npos);  // the grace
  size_t steps = 0;
  for (size_t p = 0; (p = s.find("\nsrun ", p)) != std::string::npos; ++p) ++steps;
  EXPECT_EQ(steps, 3u);
  EXPECT_TRUE(job->user_script.empty());
  // Without pass_account no account switch is asked of Slurm.
  EXPECT_FALSE(Has(job->sbatch_args, "--uid=1001"));
}

TEST(BatchScriptTest, ScriptSpecRunsFromTheAttemptDirectory) {
  LaunchSpec spec = TwoNodeGang();
  spec.argv.clear();
  spec.script = "echo hi\n";
  BatchOptions o;
  o.spool_dir = "/spool";
  auto job = BuildBatchJob(spec, o);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->user_script, "echo hi\n");
  EXPECT_NE(job->batch_script.find("/bin/sh /spool/jobs/7/2/script.sh"), std::string::npos);
}

TEST(BatchScriptTest, RejectsBadEnvironmentNames) {
  LaunchSpec spec = TwoNodeGang();
  spec.env["BAD NAME"] = "x";
  auto job = BuildBatchJob(spec, BatchOptions{});
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().field(), "env.BAD NAME");
}

TEST(BatchScriptTest, ZeroGpuReplicasAskForNone) {
  LaunchSpec spec = TwoNodeGang();
  for (auto& r : spec.replicas) r.gpus.clear();
  auto job = BuildBatchJob(spec, BatchOptions{});
  ASSERT_TRUE(job.ok());
  EXPECT_FALSE(std::any_of(job->sbatch_args.begin(), job->sbatch_args.end(),
                           [](auto& a) { return a.rfind("--gres", 0) == 0; }));
  EXPECT_NE(job->batch_script.find("--gres=gpu:0"), std::string::npos);
}

TEST(BatchScriptTest, ShellQuote) {
  EXPECT_EQ(ShellQuote("abc"), "abc");
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("a b"), "'a b'");
  EXPECT_EQ(ShellQuote("$HOME"), "'$HOME'");
}

}  // namespace
}  // namespace corral::exec::slurm
