#include <gtest/gtest.h>

#include "unit/store/store_fixture.h"

namespace corral::store {
namespace {

using testing::StoreTest;

TEST_F(StoreTest, UsersAreCreatedAndFound) {
  auto alice = store().CreateUser("alice", Role::kAdmin, FromMillis(5000));
  ASSERT_TRUE(alice.ok()) << alice.status().ToString();
  auto bob = store().CreateUser("bob", Role::kUser, FromMillis(6000));
  ASSERT_TRUE(bob.ok());
  EXPECT_TRUE(alice->id.valid());
  EXPECT_NE(alice->id, bob->id);

  auto by_name = store().FindUserByName("alice");
  ASSERT_TRUE(by_name.ok() && by_name->has_value());
  EXPECT_EQ((*by_name)->id, alice->id);
  EXPECT_EQ((*by_name)->role, Role::kAdmin);
  EXPECT_EQ((*by_name)->created_at, FromMillis(5000));

  auto by_id = store().FindUserById(bob->id);
  ASSERT_TRUE(by_id.ok() && by_id->has_value());
  EXPECT_EQ((*by_id)->name, "bob");
  EXPECT_EQ((*by_id)->role, Role::kUser);

  auto nobody = store().FindUserByName("carol");
  ASSERT_TRUE(nobody.ok());
  EXPECT_FALSE(nobody->has_value());
  auto no_id = store().FindUserById(UserId(999));
  ASSERT_TRUE(no_id.ok());
  EXPECT_FALSE(no_id->has_value());

  auto all = store().ListUsers();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "alice");
  EXPECT_EQ((*all)[1].name, "bob");
}

TEST_F(StoreTest, UnixAccountMappingIsStoredAndSurvivesReopen) {
  auto alice = store().CreateUser("alice", Role::kUser, FromMillis(1));
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(alice->unix_user, "");
  ASSERT_TRUE(store().SetUserUnixAccount(alice->id, "svc-alice").ok());
  EXPECT_EQ(store().SetUserUnixAccount(UserId(999), "x").code(), StatusCode::kNotFound);
  ASSERT_TRUE(store().AddToken(alice->id, "hash-a", "t", FromMillis(1)).ok());
  ASSERT_TRUE(store().Flush().ok());
  Reopen();
  auto by_name = store().FindUserByName("alice");
  ASSERT_TRUE(by_name.ok() && by_name->has_value());
  EXPECT_EQ((*by_name)->unix_user, "svc-alice");
  auto by_token = store().FindUserByTokenHash("hash-a");
  ASSERT_TRUE(by_token.ok() && by_token->has_value());
  EXPECT_EQ((*by_token)->unix_user, "svc-alice");
}

TEST_F(StoreTest, DuplicateUserNameIsAlreadyExistsAndChangesNothing) {
  ASSERT_TRUE(store().CreateUser("alice", Role::kUser, FromMillis(1)).ok());
  auto again = store().CreateUser("alice", Role::kAdmin, FromMillis(2));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  // The failed insert leaves the open group intact: the first user still commits.
  ASSERT_TRUE(store().Flush().ok());
  Reopen();
  auto all = store().ListUsers();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].role, Role::kUser);
}

TEST_F(StoreTest, TokensResolveToTheirUser) {
  auto alice = store().CreateUser("alice", Role::kUser, FromMillis(1));
  auto bob = store().CreateUser("bob", Role::kUser, FromMillis(1));
  ASSERT_TRUE(alice.ok() && bob.ok());
  ASSERT_TRUE(store().AddToken(alice->id, "hash-a1", "laptop", FromMillis(2)).ok());
  ASSERT_TRUE(store().AddToken(alice->id, "hash-a2", "ci", FromMillis(3)).ok());
  ASSERT_TRUE(store().AddToken(bob->id, "hash-b1", "", FromMillis(4)).ok());

  for (const auto& [hash, owner] :
       {std::pair{"hash-a1", alice->id}, {"hash-a2", alice->id}, {"hash-b1", bob->id}}) {
    auto found = store().FindUserByTokenHash(hash);
    ASSERT_TRUE(found.ok() && found->has_value()) << hash;
    EXPECT_EQ((*found)->id, owner) << hash;
  }
  auto unknown = store().FindUserByTokenHash("hash-zz");
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
}

TEST_F(StoreTest, TokenErrorsAreTyped) {
  auto alice = store().CreateUser("alice", Role::kUser, FromMillis(1));
  ASSERT_TRUE(alice.ok());
  ASSERT_TRUE(store().AddToken(alice->id, "h", "a", FromMillis(2)).ok());
  EXPECT_EQ(store().AddToken(alice->id, "h", "b", FromMillis(3)).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store().AddToken(UserId(4242), "h2", "c", FromMillis(3)).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store().DeleteToken(999).code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, TokensAreListedAndRevoked) {
  auto alice = store().CreateUser("alice", Role::kUser, FromMillis(1));
  auto bob = store().CreateUser("bob", Role::kUser, FromMillis(1));
  ASSERT_TRUE(alice.ok() && bob.ok());
  auto a1 = store().AddToken(alice->id, "hash-a1", "laptop", FromMillis(2));
  auto a2 = store().AddToken(alice->id, "hash-a2", "ci", FromMillis(3));
  auto b1 = store().AddToken(bob->id, "hash-b1", "", FromMillis(4));
  ASSERT_TRUE(a1.ok() && a2.ok() && b1.ok());
  EXPECT_LT(*a1, *a2);
  ASSERT_TRUE(store().Flush().ok());
  Reopen();

  auto mine = store().ListTokens(alice->id);
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  EXPECT_EQ(*mine, (std::vector<TokenInfo>{{*a1, alice->id, "alice", "laptop", FromMillis(2)},
                                           {*a2, alice->id, "alice", "ci", FromMillis(3)}}));
  auto all = store().ListTokens(std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
  auto found = store().FindToken(*b1);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->user_name, "bob");

  ASSERT_TRUE(store().DeleteToken(*a1).ok());
  ASSERT_TRUE(store().Flush().ok());
  Reopen();
  auto gone = store().FindUserByTokenHash("hash-a1");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  auto kept = store().FindUserByTokenHash("hash-a2");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  auto missing = store().FindToken(*a1);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

}  // namespace
}  // namespace corral::store
