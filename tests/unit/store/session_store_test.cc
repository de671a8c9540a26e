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
                 FromMillis(expires_ms),
                 std::nullopt};
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

TEST_F(StoreTest, DeletingATokenDeletesOnlyTheSessionsMadeFromIt) {
  auto alice = store().CreateUser("alice", Role::kUser, FromMillis(1));
  ASSERT_TRUE(alice.ok());
  auto token = store().AddToken(alice->id, "hash-t", "t", FromMillis(1));
  ASSERT_TRUE(token.ok());
  auto id = store().FindTokenIdByHash("hash-t");
  ASSERT_TRUE(id.ok() && id->has_value());
  EXPECT_EQ(**id, *token);
  auto unknown = store().FindTokenIdByHash("hash-zz");
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());

  Session from_token = MakeSession("from-token", alice->id, 1000, 100000);
  from_token.token_id = *token;
  ASSERT_TRUE(store().InsertSession(from_token).ok());
  ASSERT_TRUE(store().InsertSession(MakeSession("password", alice->id, 1000, 100000)).ok());
  Session dangling = MakeSession("dangling", alice->id, 1000, 100000);
  dangling.token_id = *token + 100;
  EXPECT_EQ(store().InsertSession(dangling).code(), StatusCode::kNotFound);
  ASSERT_TRUE(store().Flush().ok());
  Reopen();
  auto found = store().FindSession("from-token");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(**found, from_token);
  EXPECT_FALSE((*store().FindSession("password"))->token_id);

  ASSERT_TRUE(store().DeleteToken(*token).ok());
  ASSERT_TRUE(store().Flush().ok());
  Reopen();
  EXPECT_FALSE(*store().FindSession("from-token"));
  EXPECT_TRUE(*store().FindSession("password"));
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
