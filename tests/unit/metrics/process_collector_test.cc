#include "metrics/process_collector.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "metric_lookup.h"

namespace corral::metrics {
namespace {

TEST(ProcessCollectorTest, ParsesStatWithSpacesAndParenthesesInTheName) {
  // Fields 14/15 (utime/stime), 22 (starttime), 23 (vsize), 24 (rss).
  std::string line =
      "1234 (a (weird) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 "
      "98765 123456789 4321 18446744073709551615\n";
  auto stat = ParseProcStat(line);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->utime_ticks, 250);
  EXPECT_EQ(stat->stime_ticks, 50);
  EXPECT_EQ(stat->start_ticks, 98765);
  EXPECT_EQ(stat->vsize_bytes, 123456789);
  EXPECT_EQ(stat->rss_pages, 4321);
}

TEST(ProcessCollectorTest, RefusesATruncatedLine) {
  EXPECT_FALSE(ParseProcStat("1234 (x) S 1 2 3"));
  EXPECT_FALSE(ParseProcStat("no parenthesis"));
  EXPECT_FALSE(ParseProcStat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 50 0 0 20 0 3 0 9 9 9"));
}

TEST(ProcessCollectorTest, ThisProcessHasMemoryDescriptorsAndAStartTime) {
  auto f = ReadProcessFigures();
  ASSERT_TRUE(f);
  EXPECT_GT(f->resident_bytes, 1024 * 1024);
  EXPECT_GE(f->virtual_bytes, f->resident_bytes);
  EXPECT_GE(f->open_fds, 3);  // stdin, stdout, stderr at least
  EXPECT_GE(f->max_fds, f->open_fds);
  EXPECT_GT(f->start_time_seconds, 1.6e9);
  EXPECT_LE(f->start_time_seconds, static_cast<double>(time(nullptr)) + 1);
  std::vector<Family> out;
  AppendProcessFamilies(*f, out);
  EXPECT_EQ(testing::ValueOf(out, "process_open_fds"), f->open_fds);
  EXPECT_TRUE(testing::ValueOf(out, "process_cpu_seconds_total"));
}

}  // namespace
}  // namespace corral::metrics
