#include "notebook/jupyter_activity.h"

#include <gtest/gtest.h>

namespace corral::notebook {
namespace {

TimePoint At(const char* text) { return *ParseJupyterTime(text); }

TEST(JupyterTime, ParsesJupyterFormats) {
  EXPECT_EQ(ToMillis(At("1970-01-01T00:00:01.5Z")), 1500);
  EXPECT_EQ(ToMillis(At("2026-12-03T08:12:56.691769Z")) % 1000, 691);
  EXPECT_EQ(At("2026-12-03T08:12:56+00:00"), At("2026-12-03T08:12:56.000Z"));
  EXPECT_FALSE(ParseJupyterTime("yesterday"));
  EXPECT_FALSE(ParseJupyterTime("2026-12-03T08:12:56+02:00"));
  EXPECT_FALSE(ParseJupyterTime("2026-12-03T08:12:56."));
}

TEST(JupyterActivity, ReadsStatusAndKernels) {
  auto a = ParseJupyterActivity(
      R"({"connections": 1, "kernels": 1, "last_activity": "2026-12-03T08:00:00Z"})",
      R"([{"id": "k", "execution_state": "busy", "connections": 1,
           "last_activity": "2026-12-03T08:00:05Z"}])");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->connections, 1);
  ASSERT_EQ(a->kernels.size(), 1u);
  EXPECT_EQ(a->kernels[0].execution_state, "busy");
  EXPECT_EQ(a->kernels[0].last_activity, At("2026-12-03T08:00:05Z"));
  EXPECT_FALSE(ParseJupyterActivity("<html>", "").ok());
  EXPECT_FALSE(ParseJupyterActivity("{}", "{}").ok());
}

class CullTest : public ::testing::Test {
 protected:
  TimePoint ready = At("2026-12-03T08:00:00Z");
  Duration timeout{60'000};
  JupyterActivity idle_since(const char* t) {
    JupyterActivity a;
    a.last_activity = At(t);
    return a;
  }
};

TEST_F(CullTest, CullsOnlyAfterTheTimeout) {
  auto a = idle_since("2026-12-03T08:01:00Z");
  EXPECT_FALSE(DecideCull(a, ready, At("2026-12-03T08:01:59Z"), timeout).cull);
  EXPECT_TRUE(DecideCull(a, ready, At("2026-12-03T08:02:00Z"), timeout).cull);
}

TEST_F(CullTest, ReadinessCountsAsActivity) {
  JupyterActivity none;  // Jupyter reported no time at all
  EXPECT_FALSE(DecideCull(none, ready, At("2026-12-03T08:00:30Z"), timeout).cull);
  EXPECT_TRUE(DecideCull(none, ready, At("2026-12-03T08:01:00Z"), timeout).cull);
}

TEST_F(CullTest, BusyKernelIsNeverCulled) {
  auto a = idle_since("2026-12-03T08:00:00Z");
  a.kernels.push_back({"busy", 0, At("2026-12-03T08:00:00Z")});
  CullDecision d = DecideCull(a, ready, At("2026-12-10T08:00:00Z"), timeout);
  EXPECT_FALSE(d.cull);
  EXPECT_EQ(d.reason, "a kernel is busy");
}

TEST_F(CullTest, OpenConnectionKeepsItAlive) {
  auto a = idle_since("2026-12-03T08:00:00Z");
  a.kernels.push_back({"idle", 1, At("2026-12-03T08:00:00Z")});
  EXPECT_FALSE(DecideCull(a, ready, At("2026-12-03T09:00:00Z"), timeout).cull);
  a.kernels[0].connections = 0;
  EXPECT_TRUE(DecideCull(a, ready, At("2026-12-03T09:00:00Z"), timeout).cull);
}

TEST_F(CullTest, KernelActivityIsActivity) {
  auto a = idle_since("2026-12-03T08:00:00Z");
  a.kernels.push_back({"idle", 0, At("2026-12-03T08:00:50Z")});
  EXPECT_FALSE(DecideCull(a, ready, At("2026-12-03T08:01:30Z"), timeout).cull);
}

}  // namespace
}  // namespace corral::notebook
