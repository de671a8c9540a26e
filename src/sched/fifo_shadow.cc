#include "sched/fifo_shadow.h"

#include <algorithm>

namespace corral::sched {

TimePoint FifoShadow::Admit(TimePoint arrival, int gpus, Duration estimate) {
  const int need = std::clamp(gpus, 0, std::max(capacity_, 0));
  TimePoint t = std::max(arrival, last_start_);
  // After the last start the pool only drains, so the first moment with room is the first end
  // that makes enough of it.
  auto release_until = [&](TimePoint when) {
    while (!ends_.empty() && ends_.top().first <= when) {
      used_ -= ends_.top().second;
      ends_.pop();
    }
  };
  release_until(t);
  while (used_ + need > capacity_ && !ends_.empty()) {
    t = std::max(t, ends_.top().first);
    release_until(t);
  }
  last_start_ = t;
  max_wait_ = std::max(max_wait_, t - arrival);
  if (need > 0) {
    used_ += need;
    ends_.push({t + std::max(estimate, Duration(0)), need});
  }
  return t;
}

}  // namespace corral::sched
