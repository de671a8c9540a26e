#include "api/event_stream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <thread>

namespace corral::api {
namespace {

store::StoredEvent Event(int64_t seq, int64_t owner = 1) {
  store::StoredEvent e;
  e.seq = seq;
  e.job = JobId(seq);
  e.owner = UserId(owner);
  e.type = "submitted";
  return e;
}

// Plays the store: every event ever published, filtered as EventsAfter filters.
struct FakeStore {
  std::vector<store::StoredEvent> events;
  bool fail = false;
  std::atomic<int> reads{0};
  std::optional<UserId> owner;
  Result<std::vector<store::StoredEvent>> After(int64_t after, int limit) {
    ++reads;
    if (fail) return Status(StatusCode::kUnavailable, "store down");
    std::vector<store::StoredEvent> out;
    for (const auto& e : events)
      if (e.seq > after && (!owner || e.owner == *owner) && static_cast<int>(out.size()) < limit)
        out.push_back(e);
    return out;
  }
};

// Records what the client would read; hangs up once it has seen `until`.
struct RecordingSink : StreamSink {
  std::string text;
  std::vector<int64_t> seqs;
  int64_t until = -1;
  bool Write(std::string_view chunk) override {
    text += chunk;
    static const std::regex id_line("id: (\\d+)\n");
    std::string c(chunk);
    for (auto it = std::sregex_iterator(c.begin(), c.end(), id_line); it != std::sregex_iterator();
         ++it)
      seqs.push_back(std::stoll((*it)[1].str()));
    return seqs.empty() || seqs.back() != until;
  }
};

std::string Format(const store::StoredEvent& e) {
  return "id: " + std::to_string(e.seq) + "\nevent: job\ndata: {}\n\n";
}

EventStream::Timing Fast() {
  EventStream::Timing t;
  t.wait = std::chrono::milliseconds(5);
  t.page = 4;
  return t;
}

std::vector<int64_t> Range(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (int64_t i = from; i <= to; ++i) out.push_back(i);
  return out;
}

TEST(EventHub, SaysWhenEventsAfterASeqWereDropped) {
  EventHub hub(3);
  for (int64_t i = 1; i <= 5; ++i) hub.Publish(Event(i));
  bool complete = true;
  auto held = hub.After(0, std::chrono::milliseconds(0), &complete);
  EXPECT_FALSE(complete);
  ASSERT_EQ(held.size(), 3u);
  EXPECT_EQ(held.front().seq, 3);
  hub.After(1, std::chrono::milliseconds(0), &complete);
  EXPECT_FALSE(complete);
  hub.After(2, std::chrono::milliseconds(0), &complete);
  EXPECT_TRUE(complete);
  EXPECT_EQ(hub.last_seq(), 5);
}

TEST(EventStream, ClientThatFellBehindGetsEveryEventFromTheStore) {
  EventHub hub(3);
  FakeStore store;
  EventStream stream(
      hub, [&](int64_t a, int l) { return store.After(a, l); },
      [](const store::StoredEvent&) { return true; }, Format, /*since=*/-1, Fast());
  // Published after the client connected, faster than the hub can hold them.
  for (int64_t i = 1; i <= 10; ++i) {
    store.events.push_back(Event(i));
    hub.Publish(Event(i));
  }
  RecordingSink sink;
  sink.until = 10;
  stream.Run(sink);
  EXPECT_EQ(sink.seqs, Range(1, 10));
  EXPECT_EQ(sink.text.find("overflow"), std::string::npos);
}

TEST(EventStream, ResumesFromAnOldSeq) {
  EventHub hub(2);
  FakeStore store;
  for (int64_t i = 1; i <= 9; ++i) {
    store.events.push_back(Event(i));
    hub.Publish(Event(i));
  }
  EventStream stream(
      hub, [&](int64_t a, int l) { return store.After(a, l); },
      [](const store::StoredEvent&) { return true; }, Format, /*since=*/3, Fast());
  RecordingSink sink;
  sink.until = 9;
  stream.Run(sink);
  EXPECT_EQ(sink.seqs, Range(4, 9));
}

TEST(EventStream, SaysOverflowWhenTheStoreCannotFillTheGap) {
  EventHub hub(3);
  FakeStore store;
  store.fail = true;
  EventStream stream(
      hub, [&](int64_t a, int l) { return store.After(a, l); },
      [](const store::StoredEvent&) { return true; }, Format, /*since=*/-1, Fast());
  for (int64_t i = 1; i <= 10; ++i) hub.Publish(Event(i));
  RecordingSink sink;
  sink.until = 10;
  stream.Run(sink);
  EXPECT_NE(sink.text.find("event: overflow\ndata: {\"last_seq\":0}"), std::string::npos);
  EXPECT_EQ(sink.seqs, Range(8, 10));
}

TEST(EventStream, OthersEventsDoNotMakeItReadTheStoreAgainAndAgain) {
  EventHub hub(3);
  FakeStore store;
  store.owner = UserId(2);
  EventStream stream(
      hub, [&](int64_t a, int l) { return store.After(a, l); },
      [](const store::StoredEvent& e) { return e.owner == UserId(2); }, Format, /*since=*/-1,
      Fast());
  store.events.push_back(Event(1, 2));
  hub.Publish(Event(1, 2));
  for (int64_t i = 2; i <= 10; ++i) {  // someone else's, beyond what the hub holds
    store.events.push_back(Event(i, 1));
    hub.Publish(Event(i, 1));
  }
  RecordingSink sink;
  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    hub.Close();
  });
  stream.Run(sink);
  closer.join();
  EXPECT_EQ(sink.seqs, std::vector<int64_t>{1});
  EXPECT_LE(store.reads.load(), 2);
}

}  // namespace
}  // namespace corral::api
