#include "api/event_stream.h"

#include <algorithm>

namespace corral::api {

EventStream::EventStream(EventHub& hub, PageFn page, VisibleFn visible, FormatFn format,
                         int64_t since, Timing timing)
    : hub_(hub),
      page_(std::move(page)),
      visible_(std::move(visible)),
      format_(std::move(format)),
      seen_(since < 0 ? hub.last_seq() : since),
      from_store_(since >= 0),
      timing_(timing) {}

EventStream::CatchUp EventStream::CatchUpFromStore(StreamSink& sink) {
  // Every event published before this read is in the store: once the store has nothing more,
  // the stream is complete up to here even if the last events were not the caller's to see.
  const int64_t horizon = hub_.last_seq();
  for (;;) {
    auto batch = page_(seen_, timing_.page);
    if (!batch.ok()) return CatchUp::kStoreFailed;
    std::string out;
    for (const auto& e : *batch) {
      if (e.seq <= seen_) continue;
      seen_ = e.seq;
      if (visible_(e)) out += format_(e);
    }
    if (!out.empty() && !sink.Write(out)) return CatchUp::kClientGone;
    if (static_cast<int>(batch->size()) < timing_.page) break;
  }
  seen_ = std::max(seen_, horizon);
  return CatchUp::kDone;
}

bool EventStream::Overflow(StreamSink& sink) {
  return sink.Write("event: overflow\ndata: {\"last_seq\":" + std::to_string(seen_) + "}\n\n");
}

void EventStream::Run(StreamSink& sink) {
  if (from_store_) {
    CatchUp c = CatchUpFromStore(sink);
    if (c == CatchUp::kClientGone) return;
    if (c == CatchUp::kStoreFailed && !Overflow(sink)) return;
  }
  if (!sink.Write(": connected\n\n")) return;
  auto last_write = std::chrono::steady_clock::now();
  while (!hub_.closed()) {
    bool complete = true;
    auto news = hub_.After(seen_, timing_.wait, &complete);
    if (!complete) {
      CatchUp c = CatchUpFromStore(sink);
      if (c == CatchUp::kClientGone) return;
      if (c == CatchUp::kStoreFailed && !Overflow(sink)) return;
    }
    std::string out;
    for (const auto& e : news) {
      if (e.seq <= seen_) continue;
      seen_ = e.seq;
      if (visible_(e)) out += format_(e);
    }
    auto now = std::chrono::steady_clock::now();
    if (out.empty() && now - last_write > timing_.keep_alive) out = ": keep-alive\n\n";
    if (!out.empty()) {
      if (!sink.Write(out)) return;
      last_write = now;
    }
  }
}

}  // namespace corral::api
