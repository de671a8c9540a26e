#include "cli/node_view.h"

#include <gtest/gtest.h>

#include <sstream>

namespace corral::cli {
namespace {

TEST(RenderNodeTableTest, EveryGpuWithUserAndSimulatedMark) {
  auto reply = nlohmann::json::parse(R"({"nodes": [
    {"name": "sim-0", "simulated": true, "gpus": [
      {"index": 0, "model": "Simulated GPU", "memory_mb": 81920, "simulated": true,
       "job": 12, "user": "alice"},
      {"index": 1, "model": "Simulated GPU", "memory_mb": 81920, "simulated": true,
       "job": null, "user": "bob"},
      {"index": 2, "model": "Simulated GPU", "memory_mb": 81920, "simulated": true,
       "job": null, "user": null}]}]})");
  std::ostringstream out;
  RenderNodeTable(reply, out);
  EXPECT_EQ(out.str(),
            "NODE    GPU   MODEL           MEMORY   STATE   JOB   USER    SIMULATED\n"
            "sim-0   0     Simulated GPU   80GiB    used    12    alice   yes\n"
            "sim-0   1     Simulated GPU   80GiB    used    -     bob     yes\n"
            "sim-0   2     Simulated GPU   80GiB    free    -     -       yes\n"
            "3 GPUs on 1 node: 2 used, 1 free (all simulated: no real GPU behind them)\n");
}

TEST(RenderNodeTableTest, MixedAndEmpty) {
  auto reply = nlohmann::json::parse(R"({"nodes": [
    {"name": "gpu-a", "simulated": false, "gpus": [
      {"index": 0, "model": "H100", "memory_mb": 1500, "simulated": false, "job": null,
       "user": null}]},
    {"name": "sim-0", "simulated": true, "gpus": [
      {"index": 0, "model": "Simulated GPU", "memory_mb": 0, "simulated": true, "job": null,
       "user": null}]}]})");
  std::ostringstream out;
  RenderNodeTable(reply, out);
  EXPECT_NE(out.str().find("gpu-a   0     H100            1500MiB   free    -     -\n"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("2 GPUs on 2 nodes: 0 used, 2 free (1 simulated)"), std::string::npos);

  std::ostringstream empty;
  RenderNodeTable(nlohmann::json::parse(R"({"nodes": []})"), empty);
  EXPECT_EQ(empty.str(), "No nodes.\n");
}

TEST(FormatMemoryMbTest, GibWhenWhole) {
  EXPECT_EQ(FormatMemoryMb(81920), "80GiB");
  EXPECT_EQ(FormatMemoryMb(1500), "1500MiB");
  EXPECT_EQ(FormatMemoryMb(0), "-");
}

}  // namespace
}  // namespace corral::cli
