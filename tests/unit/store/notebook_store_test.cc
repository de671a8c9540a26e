#include <gtest/gtest.h>

#include "unit/store/store_fixture.h"

namespace corral::store {
namespace {

using testing::StoreTest;

TEST_F(StoreTest, NotebookSurvivesReopenAndListsByOwnerAndActivity) {
  auto now = FromMillis(1'700'000'000'000);
  auto alice = store().CreateUser("alice", Role::kUser, now);
  auto bob = store().CreateUser("bob", Role::kUser, now);
  ASSERT_TRUE(alice.ok() && bob.ok());
  Notebook n;
  n.owner = alice->id;
  n.owner_name = "alice";
  n.name = "lab";
  n.state = "starting";
  n.gpus = 2;
  n.environment = "torch";
  n.idle_timeout = Duration(90'000);
  n.created_at = now;
  ASSERT_TRUE(store().InsertNotebook(n).ok());
  n.job = JobId(7);
  n.attempt = 1;
  n.port = 40001;
  n.ssh_port = 40002;
  n.state = "ready";
  n.ready_at = now + Duration(800);
  ASSERT_TRUE(store().UpdateNotebook(n).ok());
  Notebook ended = n;
  ended.name = "old";
  ASSERT_TRUE(store().InsertNotebook(ended).ok());
  ended.state = "culled";
  ended.ended_at = now + Duration(5000);
  ASSERT_TRUE(store().UpdateNotebook(ended).ok());
  ASSERT_TRUE(store().Flush().ok());
  Reopen();

  auto got = store().GetNotebook(n.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->name, "lab");
  EXPECT_EQ((*got)->state, "ready");
  EXPECT_EQ((*got)->job, JobId(7));
  EXPECT_EQ((*got)->port, 40001);
  EXPECT_EQ((*got)->ssh_port, 40002);
  EXPECT_EQ((*got)->idle_timeout, Duration(90'000));
  EXPECT_EQ((*got)->ready_at, now + Duration(800));
  EXPECT_FALSE((*got)->ended_at);

  auto active = store().ListNotebooks(std::nullopt, true, 100);
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].id, n.id);
  auto alices = store().ListNotebooks(alice->id, false, 100);
  ASSERT_TRUE(alices.ok());
  EXPECT_EQ(alices->size(), 2u);
  EXPECT_EQ((*alices)[0].name, "old");  // newest first
  auto bobs = store().ListNotebooks(bob->id, false, 100);
  ASSERT_TRUE(bobs.ok());
  EXPECT_TRUE(bobs->empty());
}

TEST_F(StoreTest, SshKeysBelongToOneUser) {
  auto now = FromMillis(1'700'000'000'000);
  auto alice = store().CreateUser("alice", Role::kUser, now);
  auto bob = store().CreateUser("bob", Role::kUser, now);
  ASSERT_TRUE(alice.ok() && bob.ok());
  SshKey k{0, alice->id, "ssh-ed25519 AAAA alice@laptop", now};
  ASSERT_TRUE(store().AddSshKey(k).ok());
  EXPECT_GT(k.id, 0);
  // Another user cannot delete it; its owner can.
  EXPECT_EQ(store().DeleteSshKey(bob->id, k.id).code(), StatusCode::kNotFound);
  auto keys = store().ListSshKeys(alice->id);
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].key, "ssh-ed25519 AAAA alice@laptop");
  EXPECT_TRUE(store().DeleteSshKey(alice->id, k.id).ok());
  keys = store().ListSshKeys(alice->id);
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(keys->empty());
}

}  // namespace
}  // namespace corral::store
