#include "cli/job_exit_status.h"

#include <gtest/gtest.h>

namespace corral::cli {
namespace {

nlohmann::json J(const char* text) { return nlohmann::json::parse(text); }

TEST(JobExitStatusTest, MapsOutcomesLikeAShell) {
  EXPECT_EQ(JobExitStatus({"succeeded", 0, std::nullopt}), 0);
  EXPECT_EQ(JobExitStatus({"failed", 3, std::nullopt}), 3);
  EXPECT_EQ(JobExitStatus({"failed", 256 + 7, std::nullopt}), 7);
  EXPECT_EQ(JobExitStatus({"failed", 256, std::nullopt}), 1);
  EXPECT_EQ(JobExitStatus({"failed", std::nullopt, 9}), 137);
  EXPECT_EQ(JobExitStatus({"failed", 0, 15}), 143);
  EXPECT_EQ(JobExitStatus({"failed", std::nullopt, std::nullopt}), 1);
  EXPECT_EQ(JobExitStatus({"failed", 0, std::nullopt}), 1);
  EXPECT_EQ(JobExitStatus({"cancelled", std::nullopt, 15}), 130);
}

TEST(OutcomeFromJobTest, TakesJobExitCodeFirst) {
  auto outcome = OutcomeFromJob(J(R"({"state": "failed", "exit_code": 2, "attempts": []})"));
  EXPECT_EQ(outcome.state, "failed");
  EXPECT_EQ(outcome.exit_code, 2);
}

TEST(OutcomeFromJobTest, FindsSignalInLatestAttempt) {
  auto job = J(R"({"state": "failed", "exit_code": null, "attempts": [
      {"number": 1, "exit_code": 1, "replicas": [{"index": 0, "exit_code": 1, "signal": null}]},
      {"number": 2, "exit_code": null, "replicas": [
          {"index": 0, "exit_code": 0, "signal": null},
          {"index": 1, "exit_code": null, "signal": 9}]}]})");
  auto outcome = OutcomeFromJob(job);
  EXPECT_EQ(outcome.signal, 9);
  EXPECT_EQ(JobExitStatus(outcome), 137);
}

TEST(OutcomeFromJobTest, FindsFailingReplicaCode) {
  auto job = J(R"({"state": "failed", "attempts": [{"replicas": [
      {"exit_code": 0}, {"exit_code": 42}]}]})");
  EXPECT_EQ(JobExitStatus(OutcomeFromJob(job)), 42);
}

TEST(OutcomeFromEndEventTest, ReadsStateAndCode) {
  auto outcome = OutcomeFromEndEvent(J(R"({"state": "failed", "exit_code": 5})"));
  EXPECT_EQ(JobExitStatus(outcome), 5);
  EXPECT_EQ(JobExitStatus(OutcomeFromEndEvent(J(R"({"state": "succeeded", "exit_code": 0})"))), 0);
  // A wrong type reads as absent rather than throwing.
  EXPECT_EQ(JobExitStatus(OutcomeFromEndEvent(J(R"({"state": "failed", "exit_code": "x"})"))), 1);
}

}  // namespace
}  // namespace corral::cli
