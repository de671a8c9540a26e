#include "sim/invariants.h"

#include <gtest/gtest.h>

namespace corral::sim {
namespace {

AppliedState TwoNodes() {
  AppliedState s;
  s.gpus_per_node = {4, 4};
  s.running[JobId(1)] = {"a", 2, 2, {{0, {0, 1}}, {1, {0, 1}}}};
  s.running[JobId(2)] = {"b", 1, 2, {{0, {2, 3}}}};
  return s;
}

TEST(InvariantsTest, AcceptsAConsistentState) { EXPECT_TRUE(CheckInvariants(TwoNodes()).ok()); }

TEST(InvariantsTest, CatchesAPlantedDoubleBooking) {
  AppliedState s = TwoNodes();
  s.running[JobId(3)] = {"b", 1, 1, {{1, {1}}}};
  Status st = CheckInvariants(s);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "GPU double-booked: node 1 GPU 1 held by job 1 and job 3");
}

TEST(InvariantsTest, CatchesAnIncompleteGang) {
  AppliedState s = TwoNodes();
  s.running[JobId(1)].placement.pop_back();
  Status st = CheckInvariants(s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("gang violated: job 1 runs 1 of its 2 replicas"), std::string::npos);
  AppliedState t = TwoNodes();
  t.running[JobId(2)].placement[0].gpus.pop_back();
  EXPECT_FALSE(CheckInvariants(t).ok());
}

TEST(InvariantsTest, CatchesAQuotaOverrun) {
  AppliedState s = TwoNodes();
  s.queue_max_gpus["a"] = 4;
  EXPECT_TRUE(CheckInvariants(s).ok());
  s.queue_max_gpus["a"] = 3;
  Status st = CheckInvariants(s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("queue a holds 4 GPUs"), std::string::npos);
}

TEST(InvariantsTest, CatchesGpusThatDoNotExist) {
  AppliedState s = TwoNodes();
  s.running[JobId(2)].placement[0].gpus = {3, 4};
  EXPECT_FALSE(CheckInvariants(s).ok());
}

}  // namespace
}  // namespace corral::sim
