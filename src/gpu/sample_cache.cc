#include "gpu/sample_cache.h"

#include <utility>

namespace corral::gpu {

GpuSampleCache::GpuSampleCache(Sampler sampler, std::chrono::milliseconds interval,
                               const Clock& clock)
    : sampler_(std::move(sampler)),
      interval_(interval),
      clock_(clock),
      latest_(std::make_shared<const Snapshot>()) {}

GpuSampleCache::~GpuSampleCache() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void GpuSampleCache::Start() {
  Refresh();
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
      lock.unlock();
      Refresh();
      lock.lock();
    }
  });
}

void GpuSampleCache::Refresh() {
  // The driver call runs without the lock: readers keep the previous sample meanwhile.
  auto next = std::make_shared<Snapshot>();
  next->samples = sampler_();
  next->sampled_at = clock_.Now();
  std::lock_guard lock(mu_);
  latest_ = std::move(next);
}

std::shared_ptr<const GpuSampleCache::Snapshot> GpuSampleCache::Latest() const {
  std::lock_guard lock(mu_);
  return latest_;
}

}  // namespace corral::gpu
