#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace corral::gpu {

struct GpuDevice {
  int index = 0;  // as CUDA_VISIBLE_DEVICES counts (NVML index order)
  std::string uuid;
  std::string model;
  int64_t memory_mb = 0;
  bool simulated = false;
};

inline constexpr const char* kLoopbackAddress = "127.0.0.1";

struct NodeInventory {
  std::string name;
  // How other nodes reach this one (MASTER_ADDR of a job whose rank 0 runs here). This host and
  // simulated nodes (all on this host) use the loopback address.
  std::string address = kLoopbackAddress;
  std::vector<GpuDevice> gpus;
  int cpus = 0;
  int64_t memory_mb = 0;
  bool simulated = false;  // every GPU on it is simulated
};

// Live figures of one device; absent values are -1.
struct GpuSample {
  int index = 0;
  int utilization_pct = -1;
  int64_t memory_used_mb = -1;
  int temperature_c = -1;
  int power_mw = -1;
};

// GPUs of this host through NVML, loaded with dlopen so that the binary runs without a driver.
// Returns an empty device list (not an error) when there is no driver or no GPU.
Result<NodeInventory> DiscoverLocalNode();
// Same, loading NVML from `nvml_library` (a soname or a path).
Result<NodeInventory> DiscoverLocalNode(const std::string& nvml_library);

// `nodes` simulated nodes of `gpus_per_node` GPUs each, named sim-0, sim-1, ...; processes still
// run on this host. Each node gets kSimulatedCpusPerGpu CPUs and kSimulatedMemoryMbPerGpu MB per
// GPU (at least one GPU's worth), so that CPU and memory requests do not bind before GPUs do.
inline constexpr int kSimulatedCpusPerGpu = 8;
inline constexpr int64_t kSimulatedMemoryMbPerGpu = 65536;
inline constexpr int64_t kSimulatedGpuMemoryMb = 81920;
std::vector<NodeInventory> SimulatedNodes(int nodes, int gpus_per_node);

// Reads a node list from a YAML/JSON file: `nodes: [{name, gpus, cpus?, memory_mb?, address?}]`
// (cpus and memory_mb default as in SimulatedNodes). Errors name the offending field
// ("nodes[1].gpus").
Result<std::vector<NodeInventory>> SimulatedNodesFromFile(const std::string& path);

// Samples every real device (NVML); empty without a driver.
std::vector<GpuSample> SampleLocalGpus();
std::vector<GpuSample> SampleLocalGpus(const std::string& nvml_library);

}  // namespace corral::gpu
