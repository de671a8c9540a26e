#include "metrics/cluster_collector.h"

#include <gtest/gtest.h>

#include "metric_lookup.h"

namespace corral::metrics {
namespace {

using testing::ValueOf;

jobs::NodeView Node(const std::string& name, int gpus, bool simulated) {
  jobs::NodeView n;
  n.name = name;
  n.simulated = simulated;
  for (int i = 0; i < gpus; ++i) {
    gpu::GpuDevice d;
    d.index = i;
    d.uuid = name + "-gpu-" + std::to_string(i);
    d.model = "Test GPU";
    d.memory_mb = 1024;
    d.simulated = simulated;
    n.gpus.push_back({d, std::nullopt, ""});
  }
  return n;
}

jobs::QueueView Queue(const std::string& name, int guaranteed, int max, int in_use) {
  jobs::QueueView q;
  q.config.name = name;
  q.config.guaranteed_gpus = guaranteed;
  q.config.max_gpus = max;
  q.gpus_in_use = in_use;
  q.configured = true;
  return q;
}

ClusterSnapshot TwoNodes() {
  ClusterSnapshot s;
  s.nodes.push_back(Node("sim-0", 4, true));
  s.nodes.push_back(Node("real-0", 2, false));
  s.nodes[0].gpus[1].job = JobId(7);
  s.nodes[0].gpus[1].user = "alice";
  s.nodes[1].gpus[0].job = JobId(8);
  s.nodes[1].gpus[0].user = "bob";
  s.nodes[1].up = true;
  s.queues.push_back(Queue("default", 0, -1, 1));
  s.queues.push_back(Queue("research", 2, 4, 1));
  s.active.push_back({"research", PriorityClass::kHigh, JobState::kPending, 3, 6});
  s.active.push_back({"research", PriorityClass::kHigh, JobState::kPreempted, 1, 2});
  s.active.push_back({"default", PriorityClass::kNormal, JobState::kRunning, 1, 1});
  s.active.push_back({"research", PriorityClass::kNormal, JobState::kRunning, 1, 1});
  s.stored_by_state = {
      {JobState::kSucceeded, 40}, {JobState::kFailed, 2}, {JobState::kPending, 99}};
  gpu::GpuSample sample;
  sample.index = 0;
  sample.utilization_pct = 75;
  sample.memory_used_mb = 512;
  sample.temperature_c = 60;
  sample.power_mw = 250000;
  s.local_samples.push_back(sample);
  s.local_node = "real-0";
  return s;
}

TEST(ClusterCollectorTest, GpusPerNodeAllocatedAndIdle) {
  std::vector<Family> out;
  AppendClusterFamilies(TwoNodes(), out);
  EXPECT_EQ(ValueOf(out, "corral_node_gpus", {{"node", "sim-0"}, {"simulated", "true"}}), 4);
  EXPECT_EQ(ValueOf(out, "corral_node_gpus", {{"node", "real-0"}, {"simulated", "false"}}), 2);
  EXPECT_EQ(ValueOf(out, "corral_node_gpus_allocated", {{"node", "sim-0"}}), 1);
  EXPECT_EQ(ValueOf(out, "corral_node_gpus_idle", {{"node", "sim-0"}}), 3);
  EXPECT_EQ(ValueOf(out, "corral_node_gpus_idle", {{"node", "real-0"}}), 1);
  EXPECT_EQ(
      ValueOf(out, "corral_gpu_allocated", {{"node", "sim-0"}, {"gpu", "1"}, {"user", "alice"}}),
      1);
  EXPECT_EQ(ValueOf(out, "corral_gpu_allocated", {{"node", "sim-0"}, {"gpu", "0"}, {"user", ""}}),
            0);
}

TEST(ClusterCollectorTest, ADownNodeHasNoIdleGpus) {
  ClusterSnapshot s = TwoNodes();
  s.nodes[1].up = false;
  std::vector<Family> out;
  AppendClusterFamilies(s, out);
  EXPECT_EQ(ValueOf(out, "corral_node_up", {{"node", "real-0"}}), 0);
  EXPECT_EQ(ValueOf(out, "corral_node_gpus_idle", {{"node", "real-0"}}), 0);
  EXPECT_EQ(ValueOf(out, "corral_node_gpus", {{"node", "real-0"}}), 2);
}

TEST(ClusterCollectorTest, RealGpusReportNvmlFiguresAndSimulatedOnesAreLabelled) {
  std::vector<Family> out;
  AppendClusterFamilies(TwoNodes(), out);
  EXPECT_EQ(ValueOf(out, "corral_gpu_utilization_ratio", {{"node", "real-0"}, {"gpu", "0"}}), 0.75);
  EXPECT_EQ(ValueOf(out, "corral_gpu_memory_used_bytes", {{"node", "real-0"}, {"gpu", "0"}}),
            512.0 * 1024 * 1024);
  EXPECT_EQ(ValueOf(out, "corral_gpu_power_watts", {{"node", "real-0"}, {"gpu", "0"}}), 250);
  EXPECT_EQ(ValueOf(out, "corral_gpu_temperature_celsius", {{"node", "real-0"}, {"gpu", "0"}}), 60);
  // No sample for device 1: no utilisation series rather than a made-up one.
  EXPECT_FALSE(ValueOf(out, "corral_gpu_utilization_ratio", {{"node", "real-0"}, {"gpu", "1"}}));
  // This host's samples are not another real node's figures.
  ClusterSnapshot remote = TwoNodes();
  remote.local_node = "other-host";
  std::vector<Family> remote_out;
  AppendClusterFamilies(remote, remote_out);
  EXPECT_FALSE(
      ValueOf(remote_out, "corral_gpu_utilization_ratio", {{"node", "real-0"}, {"gpu", "0"}}));
  // Simulated: 1 while held, 0 otherwise, labelled.
  EXPECT_EQ(ValueOf(out, "corral_gpu_utilization_ratio",
                    {{"node", "sim-0"}, {"gpu", "1"}, {"simulated", "true"}}),
            1);
  EXPECT_EQ(ValueOf(out, "corral_gpu_utilization_ratio",
                    {{"node", "sim-0"}, {"gpu", "2"}, {"simulated", "true"}}),
            0);
  EXPECT_FALSE(ValueOf(out, "corral_gpu_temperature_celsius", {{"node", "sim-0"}, {"gpu", "0"}}));
  EXPECT_EQ(ValueOf(out, "corral_gpu_memory_total_bytes", {{"node", "sim-0"}, {"gpu", "3"}}),
            1024.0 * 1024 * 1024);
}

TEST(ClusterCollectorTest, QueueDepthByPriorityClassWithZerosForEveryClass) {
  std::vector<Family> out;
  AppendClusterFamilies(TwoNodes(), out);
  // Pending and preempted (about to requeue) both wait.
  EXPECT_EQ(
      ValueOf(out, "corral_queue_pending_jobs", {{"queue", "research"}, {"priority", "high"}}), 4);
  EXPECT_EQ(
      ValueOf(out, "corral_queue_pending_gpus", {{"queue", "research"}, {"priority", "high"}}), 8);
  EXPECT_EQ(ValueOf(out, "corral_queue_pending_jobs",
                    {{"queue", "default"}, {"priority", "interactive"}}),
            0);
  EXPECT_EQ(ValueOf(out, "corral_queue_pending_jobs",
                    {{"queue", "research"}, {"priority", "opportunistic"}}),
            0);
  EXPECT_EQ(ValueOf(out, "corral_queue_gpus_guaranteed", {{"queue", "research"}}), 2);
  EXPECT_EQ(ValueOf(out, "corral_queue_gpus_limit", {{"queue", "research"}}), 4);
  EXPECT_FALSE(ValueOf(out, "corral_queue_gpus_limit", {{"queue", "default"}}));
  EXPECT_EQ(ValueOf(out, "corral_queue_gpus_allocated", {{"queue", "research"}}), 1);
  EXPECT_EQ(ValueOf(out, "corral_queue_gpus_guaranteed_idle", {{"queue", "research"}}), 1);
}

TEST(ClusterCollectorTest, JobsByStateTakeActiveStatesLiveAndEndedOnesFromTheStore) {
  std::vector<Family> out;
  AppendClusterFamilies(TwoNodes(), out);
  // The store's 99 pending rows are older than the controller's live view: the live one counts.
  EXPECT_EQ(ValueOf(out, "corral_jobs", {{"state", "pending"}}), 3);
  EXPECT_EQ(ValueOf(out, "corral_jobs", {{"state", "running"}}), 2);
  EXPECT_EQ(ValueOf(out, "corral_jobs", {{"state", "succeeded"}}), 40);
  EXPECT_EQ(ValueOf(out, "corral_jobs", {{"state", "failed"}}), 2);
  EXPECT_EQ(ValueOf(out, "corral_jobs", {{"state", "cancelled"}}), 0);
  EXPECT_EQ(ValueOf(out, "corral_jobs", {{"state", "starting"}}), 0);
}

TEST(ClusterCollectorTest, EverySeriesRendersAsValidText) {
  std::vector<Family> out;
  AppendClusterFamilies(TwoNodes(), out);
  std::string text = RenderText(out);
  for (const auto& f : out) {
    if (f.samples.empty()) continue;
    EXPECT_NE(text.find("# TYPE " + f.name + " "), std::string::npos) << f.name;
  }
}

}  // namespace
}  // namespace corral::metrics
