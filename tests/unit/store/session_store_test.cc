#include <gtest/gtest.h>

#include "unit/store/store_fixture.h"

namespace corral::store {
namespace {

using testing::StoreTest;

Session MakeSession(const std::string& hash, UserId user, int64_t created_ms, int64_t expires_ms) {
  return Session{hash,
                 user,
                 "csrf-" + hash,
                 FromMillis(created_ms),
                 FromMillis(created_ms),
                 FromMillis(expires_ms)};
}

TEST_F(StoreTest, PasswordHashIsKeptPerUserAndSurvivesReopen) {
  auto alice = store().CreateUser("alice", Role::kUser, FromMillis(1));
  ASSERT_TRUE(alice.ok());
  auto none = store().GetPasswordHash(alice->id);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
  ASSERT_TRUE(store().SetPasswordHash(alice->id, "$argon2id$x").ok());
  EXPECT_EQ(store().SetPasswordHash(UserId(999), "h").code(), StatusCode::kNotFound);
  ASSERT_TRUE(store().Flush().ok());
  Reopen();
  auto hash = store().GetPasswordHash(alice->id);
  ASSERT_TRUE(hash.ok() && *hash);
  EXPECT_EQ(**hash, "$argon2id$x");
}

TEST_F(StoreTest, SessionsAreStoredTouchedAndDeleted) {
  auto alice = store().CreateUser("alice", Role::kUser, FromMillis(1));
  auto bob = store().CreateUser("bob", Role::kUser, FromMillis(1));
  ASSERT_TRUE(alice.ok() && bob.ok());
  const Session a1 = MakeSession("a1", alice->id, 1000, 100000);
  ASSERT_TRUE(store().InsertSession(a1).ok());
  ASSERT_TRUE(store().InsertSession(MakeSession("a2", alice->id, 1000, 100000)).ok());
  ASSERT_TRUE(store().InsertSession(MakeSession("b1", bob->id, 1000, 100000)).ok());
  EXPECT_EQ(store().InsertSession(MakeSession("x", UserId(999), 1, 2)).code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(store().Flush().ok());
  Reopen();

  auto found = store().FindSession("a1");
  ASSERT_TRUE(found.ok() && *found);
  EXPECT_EQ(**found, a1);
  ASSERT_TRUE(store().TouchSession("a1", FromMillis(5000)).ok());
  EXPECT_EQ((*store().FindSession("a1"))->last_seen, FromMillis(5000));
  ASSERT_TRUE(store().TouchSession("gone", FromMillis(5000)).ok());

  auto revoked = store().DeleteUserSessions(alice->id);
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(*revoked, 2);
  EXPECT_FALSE(*store().FindSession("a2"));
  EXPECT_TRUE(*store().FindSession("b1"));
  ASSERT_TRUE(store().DeleteSession("b1").ok());
  ASSERT_TRUE(store().DeleteSession("b1").ok());
  EXPECT_FALSE(*store().FindSession("b1"));
}

TEST_F(StoreTest, ExpiredSessionsAreSweptByEitherLimit) {
  auto alice = store().CreateUser("alice", Role::kUser, FromMillis(1));
  ASSERT_TRUE(alice.ok());
  ASSERT_TRUE(store().InsertSession(MakeSession("past-end", alice->id, 1000, 5000)).ok());
  ASSERT_TRUE(store().InsertSession(MakeSession("idle", alice->id, 1000, 100000)).ok());
  ASSERT_TRUE(store().InsertSession(MakeSession("live", alice->id, 1000, 100000)).ok());
  ASSERT_TRUE(store().TouchSession("live", FromMillis(9000)).ok());
  auto swept = store().DeleteExpiredSessions(FromMillis(10000), FromMillis(8000));
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 2);
  EXPECT_TRUE(*store().FindSession("live"));
  EXPECT_FALSE(*store().FindSession("idle"));
  EXPECT_FALSE(*store().FindSession("past-end"));
}

}  // namespace
}  // namespace corral::store
