#include "cli/time_format.h"

#include <gtest/gtest.h>

namespace corral::cli {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(FormatDurationTest, PicksTwoLargestUnits) {
  EXPECT_EQ(FormatDuration(seconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(999)), "0s");
  EXPECT_EQ(FormatDuration(seconds(45)), "45s");
  EXPECT_EQ(FormatDuration(seconds(192)), "3m12s");
  EXPECT_EQ(FormatDuration(minutes(3)), "3m");
  EXPECT_EQ(FormatDuration(hours(2) + minutes(5) + seconds(59)), "2h5m");
  EXPECT_EQ(FormatDuration(hours(2)), "2h");
  EXPECT_EQ(FormatDuration(hours(76)), "3d4h");
  EXPECT_EQ(FormatDuration(hours(48)), "2d");
}

TEST(FormatDurationTest, NegativeIsZero) { EXPECT_EQ(FormatDuration(seconds(-5)), "0s"); }

TEST(FormatAgeTest, MeasuresFromThenToNow) {
  TimePoint now = FromMillis(1'700'000'000'000);
  EXPECT_EQ(FormatAge(now - seconds(192), now), "3m12s");
  EXPECT_EQ(FormatAge(now + seconds(30), now), "0s");  // clock skew
}

TEST(ParseDurationSecondsTest, AcceptsUnitsAndCombinations) {
  EXPECT_EQ(*ParseDurationSeconds("90"), 90);
  EXPECT_EQ(*ParseDurationSeconds("90s"), 90);
  EXPECT_EQ(*ParseDurationSeconds("10m"), 600);
  EXPECT_EQ(*ParseDurationSeconds("2h"), 7200);
  EXPECT_EQ(*ParseDurationSeconds("1d"), 86400);
  EXPECT_EQ(*ParseDurationSeconds("1h30m"), 5400);
  EXPECT_EQ(*ParseDurationSeconds("2d12h30m15s"), 2 * 86400 + 12 * 3600 + 30 * 60 + 15);
}

TEST(ParseDurationSecondsTest, RejectsMalformed) {
  for (const char* bad : {"", "-5s", "+5s", "1.5h", "10x", "m", "5m3", "30m1h", "1h1h", "0", "0s",
                          "h1", " 5s", "99999999999999999999s", "9999999999999999d"}) {
    auto parsed = ParseDurationSeconds(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
  }
}

TEST(ParseDurationSecondsTest, ErrorQuotesTheInputAndGivesExamples) {
  auto parsed = ParseDurationSeconds("10x");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("\"10x\""), std::string::npos);
  EXPECT_NE(parsed.status().message().find("90s"), std::string::npos);
}

TEST(ParseTimestampTest, ReadsServerFormat) {
  auto t = ParseTimestamp("2026-11-28T13:56:50.123Z");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(FormatRfc3339(*t), "2026-11-28T13:56:50.123Z");
}

TEST(ParseTimestampTest, FractionsAndOffsets) {
  EXPECT_EQ(ToMillis(*ParseTimestamp("1970-01-01T00:00:01Z")), 1000);
  EXPECT_EQ(ToMillis(*ParseTimestamp("1970-01-01T00:00:01.5Z")), 1500);
  EXPECT_EQ(ToMillis(*ParseTimestamp("1970-01-01T00:00:01.123456789Z")), 1123);
  EXPECT_EQ(ToMillis(*ParseTimestamp("1970-01-01T02:00:00+02:00")), 0);
  EXPECT_EQ(ToMillis(*ParseTimestamp("1969-12-31T23:30:00-00:30")), 0);
}

TEST(ParseTimestampTest, RejectsMalformed) {
  for (const char* bad : {"", "2026-11-28", "2026-11-28T13:56:50", "2026-13-01T00:00:00Z",
                          "2026-02-30T00:00:00Z", "2026-11-28T25:00:00Z", "2026-11-28T13:56:50.Z",
                          "2026-11-28T13:56:50Zjunk", "2026-11-28T13:56:50+0200"}) {
    EXPECT_FALSE(ParseTimestamp(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace corral::cli
