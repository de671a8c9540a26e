#pragma once

#include <memory>
#include <optional>
#include <string>

#include "gpu/inventory.h"

namespace corral::gpu {

// The few NVML entry points Corral uses, resolved at run time from the driver's library, so that
// nothing at build time depends on a driver being installed.
class NvmlLibrary {
 public:
  static constexpr const char* kDefaultLibrary = "libnvidia-ml.so.1";

  // Loads and initialises NVML; null when the library or a driver is missing.
  static std::unique_ptr<NvmlLibrary> Open(const std::string& library = kDefaultLibrary);
  ~NvmlLibrary();
  NvmlLibrary(const NvmlLibrary&) = delete;
  NvmlLibrary& operator=(const NvmlLibrary&) = delete;

  int DeviceCount() const;
  // Static facts of device `index` (NVML order); nullopt when NVML cannot describe it.
  std::optional<GpuDevice> Describe(int index) const;
  // Live figures; fields NVML cannot provide stay -1.
  GpuSample Sample(int index) const;

 private:
  struct Api;
  NvmlLibrary(void* handle, std::unique_ptr<Api> api);

  void* handle_;
  std::unique_ptr<Api> api_;
};

}  // namespace corral::gpu
