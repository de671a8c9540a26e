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
                           {"user", "alice"}}));
  EXPECT_TRUE(gpus[1]["job"].is_null());
  EXPECT_EQ(gpus[1]["user"], "bob");
  EXPECT_TRUE(gpus[2]["job"].is_null());
  EXPECT_TRUE(gpus[2]["user"].is_null());
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

}  // namespace
}  // namespace corral::api
