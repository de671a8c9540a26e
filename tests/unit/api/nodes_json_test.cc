#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/job_json.h"

namespace corral::api {
namespace {

using nlohmann::json;

jobs::GpuUse Gpu(int index, std::optional<int64_t> job, std::string user) {
  jobs::GpuUse g;
  g.device = {index, "GPU-" + std::to_string(index), "Simulated GPU", 81920, true};
  if (job) g.job = JobId(*job);
  g.user = std::move(user);
  return g;
}

std::vector<jobs::NodeView> Cluster() {
  jobs::NodeView a;
  a.name = "sim-0";
  a.simulated = true;
  a.cpus = 16;
  a.memory_mb = 131072;
  a.job_accounts = "per-user";
  a.containment = "cgroups";
  a.gpus = {Gpu(0, 7, "alice"), Gpu(1, 9, "bob"), Gpu(2, std::nullopt, "")};
  jobs::NodeView b;
  b.name = "odd \"name\"\t\xff";  // escaped, invalid UTF-8 replaced
  return {a, b};
}

TEST(NodesJsonText, UsersSeeTheirOwnJobIdsAndOnlyTheUserOfOthers) {
  json out = json::parse(NodesJsonText(Cluster(), {UserId(2), "alice", Role::kUser}));
  const json& gpus = out["nodes"][0]["gpus"];
  ASSERT_EQ(gpus.size(), 3u);
  EXPECT_EQ(gpus[0], json({{"index", 0},
                           {"uuid", "GPU-0"},
                           {"model", "Simulated GPU"},
                           {"memory_mb", 81920},
                           {"simulated", true},
                           {"job", 7},
                           {"user", "alice"},
                           {"utilization_pct", 100},
                           {"memory_used_mb", 0}}));
  EXPECT_TRUE(gpus[1]["job"].is_null());
  EXPECT_EQ(gpus[1]["user"], "bob");
  EXPECT_TRUE(gpus[2]["job"].is_null());
  EXPECT_TRUE(gpus[2]["user"].is_null());
  EXPECT_EQ(gpus[2]["utilization_pct"], 0);  // simulated and free
  EXPECT_EQ(out["nodes"][0]["cpus"], 16);
  EXPECT_EQ(out["nodes"][0]["memory_mb"], 131072);
  EXPECT_EQ(out["nodes"][0]["job_accounts"], "per-user");
  EXPECT_EQ(out["nodes"][1]["name"], "odd \"name\"\t\xEF\xBF\xBD");
  EXPECT_EQ(out["nodes"][1]["gpus"], json::array());
}

TEST(NodesJsonText, AdminsSeeEveryJobId) {
  json out = json::parse(NodesJsonText(Cluster(), {UserId(1), "admin", Role::kAdmin}));
  EXPECT_EQ(out["nodes"][0]["gpus"][0]["job"], 7);
  EXPECT_EQ(out["nodes"][0]["gpus"][1]["job"], 9);
}

TEST(NodesJsonText, RealGpusOfTheLocalNodeReportTheCachedSample) {
  jobs::NodeView host;
  host.name = "gpu-host";
  host.gpus = {Gpu(0, 7, "alice"), Gpu(1, std::nullopt, ""), Gpu(2, std::nullopt, "")};
  for (auto& g : host.gpus) g.device.simulated = false;
  jobs::NodeView other = host;  // a real node elsewhere (Slurm): no local sample applies
  other.name = "remote";
  gpu::GpuSampleCache::Snapshot snap;
  snap.samples = {{0, 87, 30000, 60, 250000}, {1, -1, -1, -1, -1}};  // GPU 2 not sampled
  snap.sampled_at = FromMillis(1'700'000'000'000);
  json out = json::parse(
      NodesJsonText({host, other}, {UserId(2), "alice", Role::kUser}, "gpu-host", &snap));
  const json& gpus = out["nodes"][0]["gpus"];
  EXPECT_EQ(gpus[0]["utilization_pct"], 87);
  EXPECT_EQ(gpus[0]["memory_used_mb"], 30000);
  EXPECT_EQ(gpus[0]["simulated"], false);
  EXPECT_EQ(gpus[0]["sampled_at"], "2023-11-14T22:13:20.000Z");
  EXPECT_TRUE(gpus[1]["utilization_pct"].is_null());  // NVML could not say
  EXPECT_TRUE(gpus[1]["memory_used_mb"].is_null());
  EXPECT_TRUE(gpus[2]["utilization_pct"].is_null());
  EXPECT_FALSE(gpus[2].contains("sampled_at"));
  for (const json& g : out["nodes"][1]["gpus"]) EXPECT_TRUE(g["utilization_pct"].is_null());
}

TEST(NodesJsonText, WithoutASampleRealGpusReportNull) {
  jobs::NodeView host;
  host.name = "gpu-host";
  host.gpus = {Gpu(0, std::nullopt, "")};
  host.gpus[0].device.simulated = false;
  json out = json::parse(NodesJsonText({host}, {UserId(2), "alice", Role::kUser}));
  EXPECT_TRUE(out["nodes"][0]["gpus"][0]["utilization_pct"].is_null());
  EXPECT_TRUE(out["nodes"][0]["gpus"][0]["memory_used_mb"].is_null());
}

}  // namespace
}  // namespace corral::api
