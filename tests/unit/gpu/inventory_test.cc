#include "gpu/inventory.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace corral::gpu {
namespace {

class YamlFile {
 public:
  explicit YamlFile(const std::string& text) {
    std::string pattern = (std::filesystem::temp_directory_path() / "corral-nodes-XXXXXX").string();
    int fd = mkstemp(pattern.data());
    close(fd);
    path_ = pattern;
    std::ofstream(path_) << text;
  }
  ~YamlFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(InventoryTest, SimulatedNodesAreNamedAndLabelled) {
  std::vector<NodeInventory> nodes = SimulatedNodes(3, 4);
  ASSERT_EQ(nodes.size(), 3u);
  for (int n = 0; n < 3; ++n) {
    EXPECT_EQ(nodes[n].name, "sim-" + std::to_string(n));
    EXPECT_TRUE(nodes[n].simulated);
    EXPECT_EQ(nodes[n].cpus, 4 * kSimulatedCpusPerGpu);
    ASSERT_EQ(nodes[n].gpus.size(), 4u);
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(nodes[n].gpus[i].index, i);
      EXPECT_EQ(nodes[n].gpus[i].model, "Simulated GPU");
      EXPECT_TRUE(nodes[n].gpus[i].simulated);
    }
  }
  EXPECT_NE(nodes[0].gpus[0].uuid, nodes[1].gpus[0].uuid);
}

TEST(InventoryTest, ReadsNodesFromYaml) {
  YamlFile file(
      "nodes:\n"
      "  - {name: big, gpus: 8, cpus: 96, memory_mb: 1048576}\n"
      "  - name: small\n"
      "    gpus: 0\n");
  Result<std::vector<NodeInventory>> nodes = SimulatedNodesFromFile(file.path());
  ASSERT_TRUE(nodes.ok()) << nodes.status().ToString();
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[0].name, "big");
  EXPECT_EQ((*nodes)[0].gpus.size(), 8u);
  EXPECT_EQ((*nodes)[0].cpus, 96);
  EXPECT_EQ((*nodes)[0].memory_mb, 1048576);
  EXPECT_EQ((*nodes)[1].name, "small");
  EXPECT_TRUE((*nodes)[1].gpus.empty());
  EXPECT_EQ((*nodes)[1].cpus, kSimulatedCpusPerGpu);
  EXPECT_TRUE((*nodes)[1].simulated);
  EXPECT_EQ((*nodes)[1].address, kLoopbackAddress);
}

TEST(InventoryTest, NodeAddressFromTheFile) {
  YamlFile file("nodes:\n  - {name: gpu-1, gpus: 4, address: 10.0.0.11}\n");
  Result<std::vector<NodeInventory>> nodes = SimulatedNodesFromFile(file.path());
  ASSERT_TRUE(nodes.ok()) << nodes.status().ToString();
  EXPECT_EQ((*nodes)[0].address, "10.0.0.11");
}

TEST(InventoryTest, ReadsJsonToo) {
  YamlFile file(R"({"nodes": [{"name": "j", "gpus": 2}]})");
  Result<std::vector<NodeInventory>> nodes = SimulatedNodesFromFile(file.path());
  ASSERT_TRUE(nodes.ok()) << nodes.status().ToString();
  EXPECT_EQ((*nodes)[0].gpus.size(), 2u);
}

struct BadCase {
  const char* yaml;
  const char* field;
};

TEST(InventoryTest, ErrorsNameTheField) {
  const BadCase cases[] = {
      {"other: 1\n", "nodes"},
      {"nodes:\n  - {name: a, gpus: 1, address: ''}\n", "nodes[0].address"},
      {"nodes: {name: a}\n", "nodes"},
      {"nodes: [{name: a, gpus: 1}, {name: b, gpus: two}]\n", "nodes[1].gpus"},
      {"nodes: [{name: a, gpus: -1}]\n", "nodes[0].gpus"},
      {"nodes: [{name: a}]\n", "nodes[0].gpus"},
      {"nodes: [{gpus: 1}]\n", "nodes[0].name"},
      {"nodes: [{name: a, gpus: 1}, {name: a, gpus: 1}]\n", "nodes[1].name"},
      {"nodes: [{name: a, gpus: 1, cpus: [1]}]\n", "nodes[0].cpus"},
      {"nodes: [{name: a, gpus: 1, memory_mb: 1.5}]\n", "nodes[0].memory_mb"},
      {"nodes: [{name: a, gpus: 1, gpu: 2}]\n", "nodes[0].gpu"},
      {"nodes: [3]\n", "nodes[0]"},
  };
  for (const BadCase& c : cases) {
    YamlFile file(c.yaml);
    Result<std::vector<NodeInventory>> nodes = SimulatedNodesFromFile(file.path());
    ASSERT_FALSE(nodes.ok()) << c.yaml;
    EXPECT_EQ(nodes.status().code(), StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_EQ(nodes.status().field(), c.field) << c.yaml;
  }
}

TEST(InventoryTest, MissingOrMalformedFileIsAnError) {
  EXPECT_FALSE(SimulatedNodesFromFile("/nonexistent/corral-nodes.yaml").ok());
  YamlFile file("nodes: [unclosed\n");
  EXPECT_FALSE(SimulatedNodesFromFile(file.path()).ok());
}

TEST(InventoryTest, NoNvmlMeansNoGpusButHostFigures) {
  Result<NodeInventory> node = DiscoverLocalNode("/nonexistent/libnvidia-ml.so.1");
  ASSERT_TRUE(node.ok());
  EXPECT_TRUE(node->gpus.empty());
  EXPECT_FALSE(node->simulated);
  EXPECT_FALSE(node->name.empty());
  EXPECT_GT(node->cpus, 0);
  EXPECT_GT(node->memory_mb, 0);
  EXPECT_TRUE(SampleLocalGpus("/nonexistent/libnvidia-ml.so.1").empty());
}

// With a driver present the devices are listed in NVML order and sampled; without one both lists
// are empty. Either way discovery succeeds.
TEST(InventoryTest, LocalDiscoveryAgreesWithSampling) {
  Result<NodeInventory> node = DiscoverLocalNode();
  ASSERT_TRUE(node.ok());
  std::vector<GpuSample> samples = SampleLocalGpus();
  ASSERT_EQ(samples.size(), node->gpus.size());
  for (size_t i = 0; i < node->gpus.size(); ++i) {
    EXPECT_EQ(node->gpus[i].index, static_cast<int>(i));
    EXPECT_FALSE(node->gpus[i].uuid.empty());
    EXPECT_GT(node->gpus[i].memory_mb, 0);
    EXPECT_EQ(samples[i].index, static_cast<int>(i));
    EXPECT_GE(samples[i].memory_used_mb, 0);
  }
}

}  // namespace
}  // namespace corral::gpu

namespace corral::gpu {
namespace {

TEST(InventoryTest, DiscoversAndSamplesThroughNvml) {
  Result<NodeInventory> node = DiscoverLocalNode(CORRAL_FAKE_NVML_PATH);
  ASSERT_TRUE(node.ok());
  ASSERT_EQ(node->gpus.size(), 2u);
  EXPECT_FALSE(node->simulated);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(node->gpus[i].index, i);
    EXPECT_EQ(node->gpus[i].model, "Fake GPU " + std::to_string(i));
    EXPECT_EQ(node->gpus[i].uuid, "GPU-fake-" + std::to_string(i));
    EXPECT_EQ(node->gpus[i].memory_mb, 80 * 1024);
    EXPECT_FALSE(node->gpus[i].simulated);
  }
  std::vector<GpuSample> samples = SampleLocalGpus(CORRAL_FAKE_NVML_PATH);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].utilization_pct, 30);
  EXPECT_EQ(samples[1].utilization_pct, 31);
  EXPECT_EQ(samples[0].memory_used_mb, 1024);
  EXPECT_EQ(samples[1].memory_used_mb, 2048);
  EXPECT_EQ(samples[0].temperature_c, 55);
  EXPECT_EQ(samples[0].power_mw, 250000);
  EXPECT_EQ(samples[1].power_mw, -1);  // not supported by that device
}

}  // namespace
}  // namespace corral::gpu
