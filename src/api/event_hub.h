#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include "common/clock.h"
#include "store/store.h"

namespace corral::api {

// Fans job events out to streaming connections. The control thread publishes; connection threads
// wait for news. Keeps the most recent events so that a reconnecting client can resume.
class EventHub {
 public:
  explicit EventHub(size_t capacity = 10000) : capacity_(capacity) {}

  void Publish(const store::StoredEvent& event);
  // Events with seq > after that are still held, oldest first; waits up to `wait` for one.
  // `complete` is false when events after `after` have already been dropped from memory; the
  // caller then reads them from the store (api/event_stream.h).
  std::vector<store::StoredEvent> After(int64_t after, std::chrono::milliseconds wait,
                                        bool* complete);
  int64_t last_seq() const;
  // Wakes every waiter (shutdown).
  void Close();
  bool closed() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<store::StoredEvent> events_;
  size_t capacity_;
  int64_t last_seq_ = 0;
  int64_t dropped_through_ = 0;  // highest seq no longer held
  bool closed_ = false;
};

}  // namespace corral::api
