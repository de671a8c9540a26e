#include "experiments/ticker.h"

#include <chrono>

namespace corral::experiments {

Ticker::Ticker(Duration period, std::function<void()> fn) {
  thread_ = std::thread([this, period, fn = std::move(fn)] {
    std::unique_lock lock(mu_);
    while (
        !cv_.wait_for(lock, std::chrono::milliseconds(period.count()), [this] { return stop_; })) {
      lock.unlock();
      fn();
      lock.lock();
    }
  });
}

Ticker::~Ticker() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace corral::experiments
