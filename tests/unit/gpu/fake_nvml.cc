// A stand-in for libnvidia-ml.so.1 with two devices, so that the dlopen path is tested on
// machines without a driver.
#include <cstdio>
#include <cstring>

namespace {
struct FakeDevice {
  int index;
};
FakeDevice g_devices[2] = {{0}, {1}};
struct Memory {
  unsigned long long total, free, used;
};
struct Utilization {
  unsigned int gpu, memory;
};
}  // namespace

extern "C" {
int nvmlInit_v2() { return 0; }
int nvmlShutdown() { return 0; }
int nvmlDeviceGetCount_v2(unsigned int* count) {
  *count = 2;
  return 0;
}
int nvmlDeviceGetHandleByIndex_v2(unsigned int index, FakeDevice** device) {
  if (index >= 2) return 2;  // NVML_ERROR_INVALID_ARGUMENT
  *device = &g_devices[index];
  return 0;
}
int nvmlDeviceGetName(FakeDevice* device, char* name, unsigned int length) {
  std::snprintf(name, length, "Fake GPU %d", device->index);
  return 0;
}
int nvmlDeviceGetUUID(FakeDevice* device, char* uuid, unsigned int length) {
  std::snprintf(uuid, length, "GPU-fake-%d", device->index);
  return 0;
}
int nvmlDeviceGetMemoryInfo(FakeDevice* device, Memory* memory) {
  memory->total = 80ull << 30;
  memory->used = static_cast<unsigned long long>(device->index + 1) << 30;
  memory->free = memory->total - memory->used;
  return 0;
}
int nvmlDeviceGetUtilizationRates(FakeDevice* device, Utilization* util) {
  util->gpu = 30 + static_cast<unsigned int>(device->index);
  util->memory = 10;
  return 0;
}
int nvmlDeviceGetTemperature(FakeDevice*, int sensor, unsigned int* temp) {
  if (sensor != 0) return 2;
  *temp = 55;
  return 0;
}
int nvmlDeviceGetPowerUsage(FakeDevice* device, unsigned int* milliwatts) {
  if (device->index == 1) return 3;  // NVML_ERROR_NOT_SUPPORTED
  *milliwatts = 250000;
  return 0;
}
}
