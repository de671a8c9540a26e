#include "gpu/nvml_library.h"

#include <dlfcn.h>

namespace corral::gpu {
namespace {

// NVML's C ABI, declared here for the handful of calls used (see nvml.h in the CUDA toolkit).
using nvmlReturn_t = int;
constexpr nvmlReturn_t kNvmlSuccess = 0;
using nvmlDevice_t = struct nvmlDevice_st*;
struct nvmlMemory_t {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
struct nvmlUtilization_t {
  unsigned int gpu;
  unsigned int memory;
};
constexpr int kNvmlTemperatureGpu = 0;
constexpr unsigned int kNameBufferSize = 96;
constexpr unsigned int kUuidBufferSize = 96;
constexpr int64_t kBytesPerMb = 1024 * 1024;

}  // namespace

struct NvmlLibrary::Api {
  nvmlReturn_t (*init)();
  nvmlReturn_t (*shutdown)();
  nvmlReturn_t (*device_count)(unsigned int*);
  nvmlReturn_t (*handle_by_index)(unsigned int, nvmlDevice_t*);
  nvmlReturn_t (*name)(nvmlDevice_t, char*, unsigned int);
  nvmlReturn_t (*uuid)(nvmlDevice_t, char*, unsigned int);
  nvmlReturn_t (*memory_info)(nvmlDevice_t, nvmlMemory_t*);
  nvmlReturn_t (*utilization)(nvmlDevice_t, nvmlUtilization_t*);
  nvmlReturn_t (*temperature)(nvmlDevice_t, int, unsigned int*);
  nvmlReturn_t (*power_usage)(nvmlDevice_t, unsigned int*);
};

namespace {

template <class Fn>
bool Resolve(void* handle, const char* symbol, Fn& out) {
  out = reinterpret_cast<Fn>(::dlsym(handle, symbol));
  return out != nullptr;
}

}  // namespace

std::unique_ptr<NvmlLibrary> NvmlLibrary::Open(const std::string& library) {
  void* handle = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return nullptr;
  auto api = std::make_unique<Api>();
  bool resolved = Resolve(handle, "nvmlInit_v2", api->init) &&
                  Resolve(handle, "nvmlShutdown", api->shutdown) &&
                  Resolve(handle, "nvmlDeviceGetCount_v2", api->device_count) &&
                  Resolve(handle, "nvmlDeviceGetHandleByIndex_v2", api->handle_by_index) &&
                  Resolve(handle, "nvmlDeviceGetName", api->name) &&
                  Resolve(handle, "nvmlDeviceGetUUID", api->uuid) &&
                  Resolve(handle, "nvmlDeviceGetMemoryInfo", api->memory_info) &&
                  Resolve(handle, "nvmlDeviceGetUtilizationRates", api->utilization) &&
                  Resolve(handle, "nvmlDeviceGetTemperature", api->temperature) &&
                  Resolve(handle, "nvmlDeviceGetPowerUsage", api->power_usage);
  if (!resolved || api->init() != kNvmlSuccess) {
    ::dlclose(handle);
    return nullptr;
  }
  return std::unique_ptr<NvmlLibrary>(new NvmlLibrary(handle, std::move(api)));
}

NvmlLibrary::NvmlLibrary(void* handle, std::unique_ptr<Api> api)
    : handle_(handle), api_(std::move(api)) {}

NvmlLibrary::~NvmlLibrary() {
  api_->shutdown();
  ::dlclose(handle_);
}

int NvmlLibrary::DeviceCount() const {
  unsigned int count = 0;
  if (api_->device_count(&count) != kNvmlSuccess) return 0;
  return static_cast<int>(count);
}

std::optional<GpuDevice> NvmlLibrary::Describe(int index) const {
  nvmlDevice_t device = nullptr;
  if (api_->handle_by_index(static_cast<unsigned int>(index), &device) != kNvmlSuccess) {
    return std::nullopt;
  }
  GpuDevice d;
  d.index = index;
  char buf[kNameBufferSize > kUuidBufferSize ? kNameBufferSize : kUuidBufferSize] = {};
  if (api_->name(device, buf, kNameBufferSize) == kNvmlSuccess) d.model = buf;
  buf[0] = '\0';
  if (api_->uuid(device, buf, kUuidBufferSize) == kNvmlSuccess) d.uuid = buf;
  nvmlMemory_t memory{};
  if (api_->memory_info(device, &memory) == kNvmlSuccess) {
    d.memory_mb = static_cast<int64_t>(memory.total / kBytesPerMb);
  }
  return d;
}

GpuSample NvmlLibrary::Sample(int index) const {
  GpuSample s;
  s.index = index;
  nvmlDevice_t device = nullptr;
  if (api_->handle_by_index(static_cast<unsigned int>(index), &device) != kNvmlSuccess) return s;
  nvmlUtilization_t util{};
  if (api_->utilization(device, &util) == kNvmlSuccess)
    s.utilization_pct = static_cast<int>(util.gpu);
  nvmlMemory_t memory{};
  if (api_->memory_info(device, &memory) == kNvmlSuccess) {
    s.memory_used_mb = static_cast<int64_t>(memory.used / kBytesPerMb);
  }
  unsigned int value = 0;
  if (api_->temperature(device, kNvmlTemperatureGpu, &value) == kNvmlSuccess) {
    s.temperature_c = static_cast<int>(value);
  }
  if (api_->power_usage(device, &value) == kNvmlSuccess) s.power_mw = static_cast<int>(value);
  return s;
}

}  // namespace corral::gpu
