#include "exec/slurm/slurm_output.h"

#include <gtest/gtest.h>

namespace corral::exec::slurm {
namespace {

TEST(SlurmOutputTest, ParsesQueueRows) {
  auto rows = ParseQueue("12|RUNNING|corral-5-1|n[1-2]\n13|PENDING|corral-6-1|\n\ngarbage\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].job_id, "12");
  EXPECT_EQ(rows[0].state, "RUNNING");
  EXPECT_EQ(rows[0].name, "corral-5-1");
  EXPECT_EQ(rows[0].nodes, "n[1-2]");
  EXPECT_EQ(rows[1].nodes, "");
}

TEST(SlurmOutputTest, ParsesAccountingJobLinesOnly) {
  auto rows = ParseAccounting(
      "7|COMPLETED|0:0|n1\n7.batch|COMPLETED|0:0|n1\n8|CANCELLED by 0|0:15|n2\n9|FAILED|3:0|n1\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].job_id, "8");
  EXPECT_EQ(rows[1].state, "CANCELLED");
  EXPECT_EQ(rows[1].signal, 15);
  EXPECT_EQ(rows[2].exit_code, 3);
}

TEST(SlurmOutputTest, ParsesSubmittedId) {
  EXPECT_EQ(*ParseSubmittedId("42\n"), "42");
  EXPECT_EQ(*ParseSubmittedId("42;mlops\n"), "42");
  EXPECT_FALSE(ParseSubmittedId("sbatch: error: bad").ok());
  EXPECT_FALSE(ParseSubmittedId("").ok());
}

TEST(SlurmOutputTest, CountsGpusInGres) {
  EXPECT_EQ(GpuCountInGres("gpu:8"), 8);
  EXPECT_EQ(GpuCountInGres("gpu:a100:4(S:0-1),gpu:h100:2"), 6);
  EXPECT_EQ(GpuCountInGres("(null)"), 0);
  EXPECT_EQ(GpuCountInGres("mps:100,gpu:2"), 2);
}

TEST(SlurmOutputTest, ParsesNodesAndTheirUsability) {
  auto nodes = ParseNodes(
      "NodeName=n1 Arch=x86_64 CoresPerSocket=1 CPUAlloc=0 CPUTot=16 Gres=gpu:8 NodeAddr=10.0.0.11 "
      "NodeHostName=n1 RealMemory=64000 State=IDLE Partitions=gpu,cpu\n"
      "NodeName=n2 CPUTot=16 Gres=gpu:8(S:0) NodeAddr=10.0.0.12 RealMemory=64000 "
      "State=IDLE+DRAIN Partitions=gpu Reason=maintenance window [root@2026-12-03T08:00:00] "
      "Comment=(null)\n"
      "NodeName=n3 CPUTot=8 Gres=(null) State=DOWN* Partitions=cpu\n");
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0].address, "10.0.0.11");
  EXPECT_EQ(nodes[0].gpus, 8);
  EXPECT_EQ(nodes[0].cpus, 16);
  EXPECT_EQ(nodes[0].memory_mb, 64000);
  EXPECT_TRUE(nodes[0].usable);
  EXPECT_EQ(nodes[0].partitions, (std::vector<std::string>{"gpu", "cpu"}));
  EXPECT_FALSE(nodes[1].usable);
  EXPECT_EQ(nodes[1].reason, "maintenance window [root@2026-12-03T08:00:00]");
  EXPECT_FALSE(nodes[2].usable);
  EXPECT_EQ(nodes[2].address, "n3");  // no NodeAddr: the name
  EXPECT_EQ(nodes[2].gpus, 0);
}

TEST(SlurmOutputTest, PhaseOfStates) {
  EXPECT_EQ(PhaseOf("PENDING"), SlurmJobPhase::kPending);
  EXPECT_EQ(PhaseOf("RUNNING"), SlurmJobPhase::kRunning);
  EXPECT_EQ(PhaseOf("COMPLETING"), SlurmJobPhase::kEnding);
  EXPECT_EQ(PhaseOf("COMPLETED"), SlurmJobPhase::kDone);
  EXPECT_EQ(PhaseOf("NODE_FAIL"), SlurmJobPhase::kDone);
  EXPECT_EQ(PhaseOf("TIMEOUT"), SlurmJobPhase::kDone);
}

}  // namespace
}  // namespace corral::exec::slurm
