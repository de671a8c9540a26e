#include "exec/local/records.h"

#include <gtest/gtest.h>

namespace corral::exec {
namespace {

TEST(RecordsTest, ExitRecordRoundTripsWithLaunchError) {
  ExitRecord r;
  r.exit_code = 127;
  r.start_ms = 0;
  r.end_ms = 1700000000123;
  r.launch_error = "cannot execute 'a\"b': No such file";
  Result<ExitRecord> parsed = ParseExitRecord(FormatExitRecord(r));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->exit_code, 127);
  EXPECT_FALSE(parsed->term_signal.has_value());
  EXPECT_EQ(parsed->end_ms, 1700000000123);
  EXPECT_EQ(parsed->launch_error, r.launch_error);
  EXPECT_FALSE(parsed->timed_out);
}

TEST(RecordsTest, ExitRecordWithSignalAndTimeout) {
  ExitRecord r;
  r.term_signal = 9;
  r.start_ms = 5;
  r.end_ms = 10;
  r.timed_out = true;
  Result<ExitRecord> parsed = ParseExitRecord(FormatExitRecord(r));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->term_signal, 9);
  EXPECT_FALSE(parsed->exit_code.has_value());
  EXPECT_TRUE(parsed->timed_out);
  EXPECT_EQ(parsed->start_ms, 5);
}

TEST(RecordsTest, ShimRecordRoundTrips) {
  ShimRecord r{123, 456, 789, 789, 1011, 1700000000000};
  Result<ShimRecord> parsed = ParseShimRecord(FormatShimRecord(r));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->shim_pid, 123);
  EXPECT_EQ(parsed->shim_start_ticks, 456u);
  EXPECT_EQ(parsed->child_pid, 789);
  EXPECT_EQ(parsed->child_pgid, 789);
  EXPECT_EQ(parsed->child_start_ticks, 1011u);
  EXPECT_EQ(parsed->start_ms, 1700000000000);
}

TEST(RecordsTest, ParseErrorsNameTheField) {
  Result<ExitRecord> no_status = ParseExitRecord(R"({"start_ms":1,"end_ms":2,"timed_out":false})");
  ASSERT_FALSE(no_status.ok());
  EXPECT_EQ(no_status.status().field(), "exit_code");
  Result<ExitRecord> bad_type =
      ParseExitRecord(R"({"exit_code":0,"start_ms":"x","end_ms":2,"timed_out":false})");
  ASSERT_FALSE(bad_type.ok());
  EXPECT_EQ(bad_type.status().field(), "start_ms");
  EXPECT_FALSE(ParseShimRecord("{truncated").ok());
}

}  // namespace
}  // namespace corral::exec
