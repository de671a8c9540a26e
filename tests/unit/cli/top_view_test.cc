#include "cli/top_view.h"

#include <gtest/gtest.h>

#include <sstream>

namespace corral::cli {
namespace {

TEST(ParseGpuUtilizationTest, ReadsTheUtilisationSeriesOnly) {
  std::string text =
      "# HELP corral_gpu_utilization_ratio x\n"
      "# TYPE corral_gpu_utilization_ratio gauge\n"
      "corral_gpu_utilization_ratio{node=\"a\\\"b\",gpu=\"1\",uuid=\"u\",simulated=\"false\"} "
      "0.5\n"
      "corral_gpu_utilization_ratio{node=\"c\",gpu=\"0\"} 1\n"
      "corral_gpu_memory_used_bytes{node=\"c\",gpu=\"0\"} 1e9\n"
      "corral_gpu_utilization_ratio{node=\"c\",gpu=\"x\"} 1\n"
      "corral_gpu_utilization_ratio{broken\n";
  GpuUtilization u = ParseGpuUtilization(text);
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ((u[{"a\"b", 1}]), 0.5);
  EXPECT_EQ((u[{"c", 0}]), 1);
}

TEST(RenderTopTest, ClusterLineNodeBarsGpusQueuesAndRunningJobs) {
  TopInput in;
  in.nodes = nlohmann::json::parse(R"({"nodes": [
    {"name": "sim-0", "up": true, "simulated": true, "gpus": [
      {"index": 0, "model": "Simulated GPU", "simulated": true, "job": 12, "user": "alice"},
      {"index": 1, "model": "Simulated GPU", "simulated": true, "job": null, "user": ""}]},
    {"name": "sim-1", "up": false, "simulated": true, "gpus": [
      {"index": 0, "model": "Simulated GPU", "simulated": true, "job": null, "user": ""}]}]})");
  in.queues = nlohmann::json::parse(R"({"queues": [
    {"name": "default", "guaranteed_gpus": 0, "gpus_in_use": 1, "running_jobs": 1,
     "pending_jobs": 3}]})");
  in.running = nlohmann::json::parse(R"({"jobs": [
    {"id": 12, "name": "train", "owner": "alice", "started_at": "2023-11-14T22:10:00.000Z",
     "spec": {"queue": "default", "replicas": 1, "resources": {"gpus": 1}}}]})");
  in.utilization = {{{"sim-0", 0}, 1.0}, {{"sim-0", 1}, 0.0}};
  in.utilization_known = true;
  std::ostringstream out;
  RenderTop(in, FromMillis(1'700'000'000'000), out);
  std::string s = out.str();
  EXPECT_EQ(s.substr(0, s.find('\n')),
            "GPUs 1/3 in use (33%) on 2 nodes, 1 down | jobs: 1 running, 3 waiting");
  EXPECT_NE(s.find("sim-0   [#.]   1/2    up"), std::string::npos) << s;
  EXPECT_NE(s.find("sim-1   [.]    0/1    DOWN"), std::string::npos) << s;
  EXPECT_NE(s.find("sim-0   0     12    alice   100%*   Simulated GPU"), std::string::npos) << s;
  EXPECT_NE(s.find("sim-1   0     -     -       -       Simulated GPU"), std::string::npos) << s;
  EXPECT_NE(s.find("(* simulated GPU"), std::string::npos);
  EXPECT_NE(s.find("default   0            1        1         3"), std::string::npos) << s;
  EXPECT_NE(s.find("12    train   alice   default   1      3m20s"), std::string::npos) << s;
}

TEST(RenderTopTest, WithoutMetricsUtilisationIsUnknownAndSaysWhy) {
  TopInput in;
  in.nodes = nlohmann::json::parse(R"({"nodes": [{"name": "n", "gpus": [{"index": 0}]}]})");
  in.queues = nlohmann::json::parse(R"({"queues": []})");
  in.running = nlohmann::json::parse(R"({"jobs": []})");
  std::ostringstream out;
  RenderTop(in, FromMillis(0), out);
  EXPECT_NE(out.str().find("(UTIL needs /metrics"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace corral::cli
