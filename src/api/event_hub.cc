#include "api/event_hub.h"

namespace corral::api {

void EventHub::Publish(const store::StoredEvent& event) {
  {
    std::lock_guard lock(mu_);
    events_.push_back(event);
    if (events_.size() > capacity_) {
      dropped_through_ = events_.front().seq;
      events_.pop_front();
    }
    last_seq_ = event.seq;
  }
  cv_.notify_all();
}

std::vector<store::StoredEvent> EventHub::After(int64_t after, std::chrono::milliseconds wait,
                                                bool* complete) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, wait, [&] { return closed_ || last_seq_ > after; });
  std::vector<store::StoredEvent> out;
  if (complete) *complete = dropped_through_ <= after;
  for (auto& e : events_)
    if (e.seq > after) out.push_back(e);
  return out;
}

int64_t EventHub::last_seq() const {
  std::lock_guard lock(mu_);
  return last_seq_;
}

void EventHub::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool EventHub::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

}  // namespace corral::api
