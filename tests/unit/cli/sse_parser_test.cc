#include "cli/sse_parser.h"

#include <gtest/gtest.h>

#include <vector>

namespace corral::cli {
namespace {

std::vector<SseEvent> ParseInChunks(const std::string& body, size_t chunk_size) {
  std::vector<SseEvent> events;
  SseParser parser([&](const SseEvent& e) {
    events.push_back(e);
    return true;
  });
  for (size_t i = 0; i < body.size(); i += chunk_size) parser.Feed(body.substr(i, chunk_size));
  return events;
}

const std::string kStream =
    ": keep-alive\n"
    "event: log\n"
    "data: epoch 1 loss=0.5\n"
    "\n"
    "event: log\r\n"
    "data:\r\n"
    "\r\n"
    "data: first\n"
    "data:second\n"
    "id: 42\n"
    "\n"
    "event: end\r"
    "data: {\"state\": \"succeeded\", \"exit_code\": 0}\r"
    "\r";

TEST(SseParserTest, SameEventsWhateverTheChunking) {
  for (size_t chunk : {1u, 2u, 3u, 7u, 1000u}) {
    auto events = ParseInChunks(kStream, chunk);
    ASSERT_EQ(events.size(), 4u) << "chunk " << chunk;
    EXPECT_EQ(events[0].type, "log");
    EXPECT_EQ(events[0].data, "epoch 1 loss=0.5");
    EXPECT_EQ(events[1].type, "log");
    EXPECT_EQ(events[1].data, "");  // an empty output line survives
    EXPECT_EQ(events[2].type, "message");
    EXPECT_EQ(events[2].data, "first\nsecond");
    EXPECT_EQ(events[2].id, "42");
    EXPECT_EQ(events[3].type, "end");
    EXPECT_EQ(events[3].data, "{\"state\": \"succeeded\", \"exit_code\": 0}");
  }
}

TEST(SseParserTest, EventWithoutDataIsNotDispatched) {
  auto events = ParseInChunks("event: ping\n\n: comment\n\n", 4);
  EXPECT_TRUE(events.empty());
}

TEST(SseParserTest, KeepsOnlyOneLeadingSpaceOfValue) {
  auto events = ParseInChunks("data:   indented\n\n", 100);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "  indented");
}

TEST(SseParserTest, StopsWhenCallbackSaysSo) {
  int seen = 0;
  SseParser parser([&](const SseEvent&) {
    ++seen;
    return false;
  });
  EXPECT_FALSE(parser.Feed("data: a\n\ndata: b\n\n"));
  EXPECT_FALSE(parser.Feed("data: c\n\n"));
  EXPECT_EQ(seen, 1);
}

TEST(SseParserTest, IncompleteEventWaitsForItsBlankLine) {
  std::vector<SseEvent> events;
  SseParser parser([&](const SseEvent& e) {
    events.push_back(e);
    return true;
  });
  parser.Feed("data: partial");
  EXPECT_TRUE(events.empty());
  parser.Feed("\n");
  EXPECT_TRUE(events.empty());
  parser.Feed("\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "partial");
}

}  // namespace
}  // namespace corral::cli
