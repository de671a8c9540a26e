#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "api/event_hub.h"
#include "api/http_types.h"
#include "common/result.h"

namespace corral::api {

// One client's event stream: what the store holds after `since`, then live events from the hub.
// The hub keeps only recent events; when a slow client needs some it has dropped, they are paged
// from the store again, so the stream loses nothing. Only when the store cannot answer either
// does the client get `event: overflow` with the last seq it was given.
class EventStream {
 public:
  // Events with seq > after (those the caller may see), oldest first, at most `limit`.
  using PageFn = std::function<Result<std::vector<store::StoredEvent>>(int64_t after, int limit)>;
  using VisibleFn = std::function<bool(const store::StoredEvent&)>;
  // One event as an SSE message.
  using FormatFn = std::function<std::string(const store::StoredEvent&)>;

  struct Timing {
    std::chrono::milliseconds wait{1000};         // one wait on the hub
    std::chrono::milliseconds keep_alive{15000};  // comment line after this much silence
    int page = 500;                               // events per store read
  };

  // `since` < 0 starts live, with nothing from the past.
  EventStream(EventHub& hub, PageFn page, VisibleFn visible, FormatFn format, int64_t since,
              Timing timing);

  // Writes until the client goes or the hub closes.
  void Run(StreamSink& sink);

 private:
  enum class CatchUp { kDone, kClientGone, kStoreFailed };
  CatchUp CatchUpFromStore(StreamSink& sink);
  bool Overflow(StreamSink& sink);

  EventHub& hub_;
  PageFn page_;
  VisibleFn visible_;
  FormatFn format_;
  int64_t seen_;
  bool from_store_;
  Timing timing_;
};

}  // namespace corral::api
