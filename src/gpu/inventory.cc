#include "gpu/inventory.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "gpu/nvml_library.h"

namespace corral::gpu {
namespace {

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

NodeInventory SimulatedNode(std::string name, int gpus, std::optional<int> cpus,
                            std::optional<int64_t> memory_mb) {
  NodeInventory node;
  node.name = std::move(name);
  node.simulated = true;
  int per_gpu_units = std::max(gpus, 1);
  node.cpus = cpus.value_or(kSimulatedCpusPerGpu * per_gpu_units);
  node.memory_mb = memory_mb.value_or(kSimulatedMemoryMbPerGpu * per_gpu_units);
  for (int i = 0; i < gpus; ++i) {
    GpuDevice d;
    d.index = i;
    d.uuid = "SIM-" + node.name + "-" + std::to_string(i);
    d.model = "Simulated GPU";
    d.memory_mb = kSimulatedGpuMemoryMb;
    d.simulated = true;
    node.gpus.push_back(std::move(d));
  }
  return node;
}

// An optional non-negative integer field of a node entry.
template <class T>
Result<std::optional<T>> ReadCount(const YAML::Node& entry, const char* key,
                                   const std::string& path) {
  const std::string field = path + "." + key;
  YAML::Node value = entry[key];
  if (!value) return std::optional<T>();
  if (!value.IsScalar()) return InvalidArgument(field, "must be a non-negative integer");
  try {
    T n = value.as<T>();
    if (n < 0) return InvalidArgument(field, "must be a non-negative integer");
    return std::optional<T>(n);
  } catch (const YAML::Exception&) {
    return InvalidArgument(field, "must be a non-negative integer, got '" + value.Scalar() + "'");
  }
}

}  // namespace

Result<NodeInventory> DiscoverLocalNode() {
  return DiscoverLocalNode(NvmlLibrary::kDefaultLibrary);
}

Result<NodeInventory> DiscoverLocalNode(const std::string& nvml_library) {
  NodeInventory node;
  node.name = HostName();
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  long pages = ::sysconf(_SC_PHYS_PAGES);
  long page_size = ::sysconf(_SC_PAGESIZE);
  if (cpus <= 0 || pages <= 0 || page_size <= 0) {
    return Internal("cannot read the host's CPU count or memory size");
  }
  node.cpus = static_cast<int>(cpus);
  node.memory_mb = static_cast<int64_t>(pages) * page_size / (1024 * 1024);
  if (std::unique_ptr<NvmlLibrary> nvml = NvmlLibrary::Open(nvml_library)) {
    int count = nvml->DeviceCount();
    for (int i = 0; i < count; ++i) {
      if (std::optional<GpuDevice> d = nvml->Describe(i)) node.gpus.push_back(std::move(*d));
    }
  }
  return node;
}

std::vector<NodeInventory> SimulatedNodes(int nodes, int gpus_per_node) {
  std::vector<NodeInventory> out;
  for (int i = 0; i < nodes; ++i) {
    out.push_back(SimulatedNode("sim-" + std::to_string(i), gpus_per_node, {}, {}));
  }
  return out;
}

Result<std::vector<NodeInventory>> SimulatedNodesFromFile(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return InvalidArgument("", "cannot read " + path);
  } catch (const YAML::Exception& e) {
    return InvalidArgument("", path + ": " + e.what());
  }
  if (!root.IsMap() || !root["nodes"]) return InvalidArgument("nodes", "missing list of nodes");
  YAML::Node list = root["nodes"];
  if (!list.IsSequence()) return InvalidArgument("nodes", "must be a list");
  std::vector<NodeInventory> out;
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = "nodes[" + std::to_string(i) + "]";
    const YAML::Node& entry = list[i];
    if (!entry.IsMap()) return InvalidArgument(where, "must be a mapping");
    for (const auto& kv : entry) {
      std::string key = kv.first.as<std::string>();
      if (key != "name" && key != "gpus" && key != "cpus" && key != "memory_mb" &&
          key != "address") {
        return InvalidArgument(where + "." + key, "unknown field");
      }
    }
    YAML::Node name = entry["name"];
    if (!name || !name.IsScalar() || name.Scalar().empty()) {
      return InvalidArgument(where + ".name", "must be a non-empty string");
    }
    if (!names.insert(name.Scalar()).second) {
      return InvalidArgument(where + ".name", "duplicate node name '" + name.Scalar() + "'");
    }
    CORRAL_ASSIGN_OR_RETURN(std::optional<int> gpus, ReadCount<int>(entry, "gpus", where));
    if (!gpus) return InvalidArgument(where + ".gpus", "missing");
    CORRAL_ASSIGN_OR_RETURN(std::optional<int> cpus, ReadCount<int>(entry, "cpus", where));
    CORRAL_ASSIGN_OR_RETURN(std::optional<int64_t> memory,
                            ReadCount<int64_t>(entry, "memory_mb", where));
    out.push_back(SimulatedNode(name.Scalar(), *gpus, cpus, memory));
    if (YAML::Node address = entry["address"]) {
      if (!address.IsScalar() || address.Scalar().empty())
        return InvalidArgument(where + ".address", "must be a non-empty host name or IP address");
      out.back().address = address.Scalar();
    }
  }
  return out;
}

std::vector<GpuSample> SampleLocalGpus() { return SampleLocalGpus(NvmlLibrary::kDefaultLibrary); }

std::vector<GpuSample> SampleLocalGpus(const std::string& nvml_library) {
  std::vector<GpuSample> out;
  std::unique_ptr<NvmlLibrary> nvml = NvmlLibrary::Open(nvml_library);
  if (!nvml) return out;
  int count = nvml->DeviceCount();
  for (int i = 0; i < count; ++i) out.push_back(nvml->Sample(i));
  return out;
}

}  // namespace corral::gpu
