#include <gtest/gtest.h>

#include "model/job.h"

namespace corral {
namespace {

TEST(RetryPolicyTest, ExitCodeRanges) {
  EXPECT_TRUE(ValidExitCodeRanges("128-255"));
  EXPECT_TRUE(ValidExitCodeRanges("1,3-5,255"));
  EXPECT_FALSE(ValidExitCodeRanges(""));
  EXPECT_FALSE(ValidExitCodeRanges("5-3"));
  EXPECT_FALSE(ValidExitCodeRanges("256"));
  EXPECT_FALSE(ValidExitCodeRanges("1,,2"));
  EXPECT_FALSE(ValidExitCodeRanges("a-b"));
  RetryPolicy any;
  EXPECT_TRUE(RetryableExitCode(any, 1));
  RetryPolicy signals{.max_retries = 2, .retry_on_preemption = true, .exit_codes = "128-255,3"};
  EXPECT_TRUE(RetryableExitCode(signals, 143));
  EXPECT_TRUE(RetryableExitCode(signals, 3));
  EXPECT_FALSE(RetryableExitCode(signals, 1));
  EXPECT_FALSE(RetryableExitCode(signals, 127));
}

}  // namespace
}  // namespace corral
