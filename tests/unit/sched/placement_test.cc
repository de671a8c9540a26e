#include "sched/placement.h"

#include <gtest/gtest.h>

#include "sched/cluster_view.h"
#include "unit/sched/test_util.h"

namespace corral::sched {
namespace {

using testing::GpuCount;
using testing::Nodes;

// Occupies `busy` GPUs on each node with throwaway jobs.
ClusterView ViewWithBusy(const std::vector<int>& busy, int gpus) {
  ClusterView v;
  v.Reset(Nodes(static_cast<int>(busy.size()), gpus));
  int64_t id = 1000;
  for (size_t n = 0; n < busy.size(); ++n) {
    ReplicaAssignment a{static_cast<int>(n), {}};
    for (int g = 0; g < busy[n]; ++g) a.gpus.push_back(g);
    EXPECT_TRUE(v.Assign(JobId(id++), {a}, {busy[n], 0, 0}).ok());
  }
  return v;
}

auto UsableRoom(const ClusterView& v, int per) {
  return [&v, per](int n) { return NodeRoom{v.usable_gpus(n) / per, v.usable_gpus(n)}; };
}

TEST(PlacementTest, PacksOntoTheFullestNodeThatFits) {
  // Free: 2, 5, 8, 4. A 4-GPU job goes to the node with 4 free (nothing stranded), not the empty
  // one.
  ClusterView v = ViewWithBusy({6, 3, 0, 4}, 8);
  auto p = PlaceGang(v, 1, 4, UsableRoom(v, 4));
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 1u);
  EXPECT_EQ((*p)[0].node, 3);
  EXPECT_EQ((*p)[0].gpus, (std::vector<int>{4, 5, 6, 7}));
}

TEST(PlacementTest, WholeGangOnOneNodeWhenItFits) {
  ClusterView v = ViewWithBusy({4, 0, 4}, 8);
  auto p = PlaceGang(v, 2, 4, UsableRoom(v, 4));
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0].node, 1);
  EXPECT_EQ((*p)[1].node, 1);
  EXPECT_NE((*p)[0].gpus, (*p)[1].gpus);
}

TEST(PlacementTest, FewestNodesWhenTheGangMustSpan) {
  // Free: 4, 8, 8, 4, 2. Three replicas of 4 need two nodes: one 8-free node and one 4-free node,
  // not three.
  ClusterView v = ViewWithBusy({4, 0, 0, 4, 6}, 8);
  auto shares = ChooseNodes(v.node_count(), 3, 4, UsableRoom(v, 4));
  ASSERT_TRUE(shares);
  EXPECT_EQ(shares->size(), 2u);
  int replicas = 0;
  for (const auto& s : *shares) replicas += s.replicas;
  EXPECT_EQ(replicas, 3);
  // The remainder goes to a 4-free node (best fit), keeping the second empty node whole.
  EXPECT_EQ((*shares)[0].node, 1);
  EXPECT_TRUE((*shares)[1].node == 0 || (*shares)[1].node == 3);
}

TEST(PlacementTest, AllOrNothing) {
  // 2 + 2 free GPUs cannot hold two replicas of 4: no partial placement comes back.
  ClusterView v = ViewWithBusy({6, 6}, 8);
  EXPECT_FALSE(PlaceGang(v, 2, 4, UsableRoom(v, 4)));
  EXPECT_EQ(v.total_usable(), 4);
  // One replica of 2 on each node is possible for a 2 x 2 gang.
  auto p = PlaceGang(v, 2, 2, UsableRoom(v, 2));
  ASSERT_TRUE(p);
  EXPECT_EQ(GpuCount(*p), 4);
}

TEST(ClusterViewTest, RefusesDoubleBookingAndKeepsCounts) {
  ClusterView v;
  v.Reset(Nodes(2, 4));
  EXPECT_TRUE(v.Assign(JobId(1), {{0, {0, 1}}}, {2, 0, 0}).ok());
  EXPECT_FALSE(v.Assign(JobId(2), {{0, {1, 2}}}, {2, 0, 0}).ok());
  EXPECT_FALSE(v.Assign(JobId(3), {{0, {2, 2}}}, {2, 0, 0}).ok());
  EXPECT_EQ(v.usable_gpus(0), 2);
  EXPECT_EQ(v.nodes_with_at_least(3), 1);
  EXPECT_EQ(v.replica_room(2), 3);
  v.Claim(JobId(4), {{1, {0, 1, 2}}});
  EXPECT_EQ(v.usable_gpus(1), 1);
  EXPECT_TRUE(v.Assign(JobId(4), {{1, {0, 1, 2}}}, {3, 0, 0}).ok());
  EXPECT_FALSE(v.claimant(1, 0).valid());
  v.Unassign(JobId(1), {{0, {0, 1}}}, {2, 0, 0});
  EXPECT_EQ(v.total_usable(), 5);
}

}  // namespace
}  // namespace corral::sched
