#include <gtest/gtest.h>

#include "unit/store/store_fixture.h"

namespace corral::store {
namespace {

using testing::StoreTest;

StoredEvent MakeEvent(int i) {
  return StoredEvent{0,
                     FromMillis(1000 + i),
                     JobId(100 + i),
                     UserId(1 + i % 2),
                     i % 2 ? "started" : "submitted",
                     "event " + std::to_string(i)};
}

TEST_F(StoreTest, EventsGetIncreasingSeqAndPageInOrder) {
  std::vector<int64_t> seqs;
  for (int i = 0; i < 7; ++i) {
    auto seq = store().AppendEvent(MakeEvent(i));
    ASSERT_TRUE(seq.ok()) << seq.status().ToString();
    if (!seqs.empty()) {
      EXPECT_GT(*seq, seqs.back());
    }
    seqs.push_back(*seq);
  }
  ASSERT_TRUE(store().Flush().ok());

  std::vector<StoredEvent> all;
  int64_t after = 0;
  while (true) {
    auto page = store().EventsAfter(after, 3, std::nullopt);
    ASSERT_TRUE(page.ok());
    ASSERT_LE(page->size(), 3u);
    if (page->empty()) break;
    for (auto& e : *page) all.push_back(e);
    after = page->back().seq;
  }
  ASSERT_EQ(all.size(), 7u);
  for (int i = 0; i < 7; ++i) {
    StoredEvent want = MakeEvent(i);
    const StoredEvent& got = all[static_cast<size_t>(i)];
    EXPECT_EQ(got.seq, seqs[static_cast<size_t>(i)]);
    EXPECT_EQ(got.time, want.time);
    EXPECT_EQ(got.job, want.job);
    EXPECT_EQ(got.owner, want.owner);
    EXPECT_EQ(got.type, want.type);
    EXPECT_EQ(got.message, want.message);
  }

  auto tail = store().EventsAfter(seqs[4], 100, std::nullopt);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[0].seq, seqs[5]);
}

TEST_F(StoreTest, EventsAfterFiltersByOwnerBeforePaging) {
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(store().AppendEvent(MakeEvent(i)).ok());
  // Owner 2 has the odd events: a page of 2 holds two of them, not one of each.
  auto page = store().EventsAfter(0, 2, UserId(2));
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].message, "event 1");
  EXPECT_EQ((*page)[1].message, "event 3");
  auto rest = store().EventsAfter((*page)[1].seq, 100, UserId(2));
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[1].message, "event 7");
  auto nobody = store().EventsAfter(0, 100, UserId(99));
  ASSERT_TRUE(nobody.ok());
  EXPECT_TRUE(nobody->empty());
}

TEST_F(StoreTest, EventsAfterRejectsNonPositiveLimit) {
  auto page = store().EventsAfter(0, 0, std::nullopt);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace corral::store
