#include "server/control_loop.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include "api/control_port.h"

namespace corral::server {
namespace {

class ControlLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("corral-control-loop-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    auto opened = store::OpenSqliteStore((dir_ / "db").string());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    loop_ = std::make_unique<ControlLoop>(*store_);
    loop_->Start();
  }
  void TearDown() override {
    loop_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ControlLoop> loop_;
};

TEST_F(ControlLoopTest, AThrowingCommandReachesItsCallerAndTheLoopGoesOn) {
  EXPECT_THROW(api::CallOnControl(*loop_, []() -> int { throw std::runtime_error("bad"); }),
               std::runtime_error);
  EXPECT_THROW(api::CallOnControl(*loop_, [] { throw 7; }), int);
  EXPECT_EQ(api::CallOnControl(*loop_, [] { return 42; }), 42);
}

TEST_F(ControlLoopTest, AThrowingDurableCommandReachesItsCaller) {
  EXPECT_THROW(api::CallDurable(*loop_, []() -> Result<int> { throw std::logic_error("bad"); }),
               std::logic_error);
  auto ok = api::CallDurable(*loop_, [] { return Result<int>(5); });
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 5);
}

TEST_F(ControlLoopTest, APostedFunctionThatThrowsDoesNotStopTheLoop) {
  loop_->Post([] { throw std::runtime_error("nobody waits for this one"); });
  EXPECT_EQ(api::CallOnControl(*loop_, [] { return 1; }), 1);
}

TEST(ControlLoopStatsTest, TasksAreTimedUnderTheirPostersNameAndWritingCommitsAreTimed) {
  auto dir = std::filesystem::temp_directory_path() /
             ("corral-control-loop-stats-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto store = store::OpenSqliteStore((dir / "db").string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  metrics::ControlLoopStats stats;
  {
    ControlLoop loop(**store);
    loop.SetStats(&stats);
    loop.Start();
    {
      api::TaskNameScope name("test.read");
      EXPECT_EQ(api::CallOnControl(loop, [] { return 1; }), 1);
      EXPECT_EQ(api::CallOnControl(loop, [] { return 2; }), 2);
    }
    api::TaskNameScope name("test.write");
    auto written =
        api::CallDurable(loop, [&] { return Result<bool>((*store)->PutSetting("k", "v").ok()); });
    ASSERT_TRUE(written.ok());
    // The task that ran the commit finished after the waiter was told: one more round trip.
    api::CallOnControl(loop, [] {});
  }
  std::vector<metrics::Family> out;
  stats.Collect(out);
  auto count_of = [&](const std::string& family, const std::string& task) -> double {
    for (const auto& f : out) {
      if (f.name != family) continue;
      for (const auto& s : f.samples) {
        if (s.suffix != "_count") continue;
        if (task.empty() || s.labels == metrics::Labels{{"task", task}}) return s.value;
      }
    }
    return -1;
  };
  EXPECT_EQ(count_of("corral_control_task_run_seconds", "test.read"), 2);
  EXPECT_EQ(count_of("corral_control_task_wait_seconds", "test.read"), 2);
  EXPECT_EQ(count_of("corral_control_task_run_seconds", "test.write"), 2);
  EXPECT_GE(count_of("corral_control_task_run_seconds", "store.commit"), 1);
  // Only the commit that wrote the setting is timed as a store commit.
  EXPECT_EQ(count_of("corral_store_commit_duration_seconds", ""), 1);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace corral::server
