#include "cli/run_args.h"

#include <gtest/gtest.h>

#include <set>

namespace corral::cli {
namespace {

bool TakesValue(std::string_view flag) {
  static const std::set<std::string_view> kValued = {"--gpus", "--url", "-o", "--env", "-F"};
  return kValued.count(flag) > 0;
}

using Args = std::vector<std::string>;

TEST(SplitRunCommandTest, DoubleDashStartsCommand) {
  auto split = SplitRunCommand({"run", "--gpus", "2", "--", "python", "-o", "x"}, TakesValue);
  EXPECT_EQ(split.options, (Args{"run", "--gpus", "2"}));
  EXPECT_EQ(split.command, (Args{"python", "-o", "x"}));
}

TEST(SplitRunCommandTest, FirstPositionalStartsCommandWithoutDoubleDash) {
  auto split = SplitRunCommand({"--url", "http://h", "run", "-f", "--gpus", "1", "python",
                                "train.py", "--lr", "0.1", "--", "x"},
                               TakesValue);
  EXPECT_EQ(split.options, (Args{"--url", "http://h", "run", "-f", "--gpus", "1"}));
  EXPECT_EQ(split.command, (Args{"python", "train.py", "--lr", "0.1", "--", "x"}));
}

TEST(SplitRunCommandTest, EqualsFormDoesNotConsumeNextWord) {
  auto split = SplitRunCommand({"run", "--gpus=2", "nvidia-smi"}, TakesValue);
  EXPECT_EQ(split.options, (Args{"run", "--gpus=2"}));
  EXPECT_EQ(split.command, (Args{"nvidia-smi"}));
}

TEST(SplitRunCommandTest, FlagValueThatLooksLikeCommandIsKept) {
  auto split = SplitRunCommand({"run", "--env", "A=1", "-F", "-"}, TakesValue);
  EXPECT_EQ(split.options, (Args{"run", "--env", "A=1", "-F", "-"}));
  EXPECT_TRUE(split.command.empty());
}

TEST(SplitRunCommandTest, OtherSubcommandsPassThrough) {
  Args args = {"logs", "-f", "12", "--", "x"};
  auto split = SplitRunCommand(args, TakesValue);
  EXPECT_EQ(split.options, args);
  EXPECT_TRUE(split.command.empty());
  // A job named "run" in another command's arguments is not the run subcommand.
  Args describe = {"describe", "run"};
  EXPECT_EQ(SplitRunCommand(describe, TakesValue).options, describe);
}

}  // namespace
}  // namespace corral::cli
