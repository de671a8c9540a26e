#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "gpu/inventory.h"

namespace corral::gpu {

// The latest NVML sample of this host's GPUs, refreshed by a thread of its own every `interval`,
// so that readers (GET /api/v1/nodes) never wait for the driver: Latest() is a pointer copy.
class GpuSampleCache {
 public:
  struct Snapshot {
    std::vector<GpuSample> samples;  // by device index; empty before the first sample
    TimePoint sampled_at{};
  };
  using Sampler = std::function<std::vector<GpuSample>()>;

  GpuSampleCache(Sampler sampler, std::chrono::milliseconds interval, const Clock& clock);
  ~GpuSampleCache();
  GpuSampleCache(const GpuSampleCache&) = delete;
  GpuSampleCache& operator=(const GpuSampleCache&) = delete;

  // Takes one sample now, then keeps sampling in the background until destruction.
  void Start();
  // Takes one sample on the calling thread (what the background thread does each period).
  void Refresh();
  std::shared_ptr<const Snapshot> Latest() const;

 private:
  Sampler sampler_;
  std::chrono::milliseconds interval_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::shared_ptr<const Snapshot> latest_;
  std::thread thread_;
};

}  // namespace corral::gpu
