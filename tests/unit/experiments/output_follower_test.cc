#include "experiments/output_follower.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>

namespace corral::experiments {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

class Inbox {
 public:
  void Put(TrialOutput out) {
    std::lock_guard lock(mu_);
    outputs_.push_back(std::move(out));
    cv_.notify_all();
  }
  // Waits for the next delivery (up to 5 s).
  std::optional<TrialOutput> Take() {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(5), [this] { return !outputs_.empty(); }))
      return std::nullopt;
    TrialOutput out = std::move(outputs_.front());
    outputs_.erase(outputs_.begin());
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<TrialOutput> outputs_;
};

void Append(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::app) << text;
}

TEST(OutputFollowerTest, DeliversNewLinesThenTheRestWhenFinished) {
  fs::path dir = fs::temp_directory_path() / ("corral-follower-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path log = dir / "output.log", metrics = dir / "metrics.log";
  Append(log, "old=1\n");  // before the offset: never delivered
  Inbox inbox;
  OutputFollower follower(Duration(20), [&inbox](TrialOutput out) { inbox.Put(std::move(out)); });
  OutputFollower::Target target;
  target.experiment = ExperimentId(3);
  target.trial = 7;
  target.generation = 11;
  target.log = exec::OpenFileLog(log.string());
  target.log_offset = 6;
  target.file = exec::OpenFileLog(metrics.string());  // not created yet
  follower.Follow(std::move(target));

  Append(log, "loss=0.5\nloss=0.4");  // the second line is not finished yet
  auto first = inbox.Take();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->experiment, ExperimentId(3));
  EXPECT_EQ(first->trial, 7);
  EXPECT_EQ(first->generation, 11u);
  EXPECT_THAT(first->log_lines, ElementsAre("loss=0.5"));
  EXPECT_EQ(first->log_offset, 15);
  EXPECT_FALSE(first->final);

  Append(metrics, "{\"loss\": 0.3}\n");
  auto second = inbox.Take();
  ASSERT_TRUE(second);
  EXPECT_THAT(second->file_lines, ElementsAre("{\"loss\": 0.3}"));
  EXPECT_TRUE(second->log_lines.empty());

  follower.Finish(ExperimentId(3), 7, 11);
  auto last = inbox.Take();
  ASSERT_TRUE(last);
  EXPECT_TRUE(last->final);
  EXPECT_THAT(last->log_lines, ElementsAre("loss=0.4"));  // the unfinished line counts now

  // A finish for a follow that does not exist (any more) still answers, empty.
  follower.Finish(ExperimentId(3), 7, 11);
  auto again = inbox.Take();
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->final);
  EXPECT_TRUE(again->log_lines.empty());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace corral::experiments
