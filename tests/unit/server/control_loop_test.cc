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

}  // namespace
}  // namespace corral::server
