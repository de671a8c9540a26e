// RunCli end to end without a server: flag parsing, usage errors and an unreachable server.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/exit_codes.h"

namespace corral::cli {
namespace {

int RunCorral(std::vector<std::string> args) {
  args.insert(args.begin(), "corral");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return RunCli(static_cast<int>(args.size()), argv.data());
}

// Port 1 on loopback: nothing listens there, so the connection is refused at once.
const std::string kDeadServer = "http://127.0.0.1:1";

TEST(RunCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunCorral({"no-such-command"}), kExitUsage);
  EXPECT_EQ(RunCorral({"ps", "--no-such-flag"}), kExitUsage);
  EXPECT_EQ(RunCorral({"run", "--gpus", "-1", "--", "true"}), kExitUsage);
  EXPECT_EQ(RunCorral({"describe"}), kExitUsage);
  EXPECT_EQ(RunCorral({"--url", kDeadServer, "run"}), kExitUsage);  // no command
  EXPECT_EQ(RunCorral({"--url", kDeadServer, "run", "--time-limit", "soon", "--", "true"}),
            kExitUsage);
  EXPECT_EQ(RunCorral({"--url", kDeadServer, "run", "-F", "spec.yaml", "--gpus", "1"}), kExitUsage);
  EXPECT_EQ(RunCorral({"--url", kDeadServer, "ps", "-o", "xml"}), kExitUsage);
}

TEST(RunCliTest, HelpExitsZero) {
  EXPECT_EQ(RunCorral({"--help"}), kExitOk);
  EXPECT_EQ(RunCorral({"run", "--help"}), kExitOk);
}

TEST(RunCliTest, UnreachableServerExitsThree) {
  EXPECT_EQ(RunCorral({"--url", kDeadServer, "ps"}), kExitUnreachable);
  EXPECT_EQ(RunCorral({"nodes", "--url", kDeadServer, "-o", "json"}), kExitUnreachable);
  // The job's own flags after the command are not the CLI's.
  EXPECT_EQ(RunCorral({"--url", kDeadServer, "run", "--gpus", "1", "python3", "-c", "print(1)",
                       "-o", "x"}),
            kExitUnreachable);
}

}  // namespace
}  // namespace corral::cli
