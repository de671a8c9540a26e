#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "common/clock.h"

namespace corral::experiments {

// Calls `fn` every `period` on a thread of its own until destroyed. The server uses it to post
// ExperimentController::Tick onto the control thread, so trial output is read while trials run.
class Ticker {
 public:
  Ticker(Duration period, std::function<void()> fn);
  ~Ticker();
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace corral::experiments
