#include <gtest/gtest.h>

#include "store/sqlite_handle.h"
#include "unit/store/store_fixture.h"

namespace corral::store {
namespace {

// Multi-row writes are all or nothing. A trigger makes one row of such a write fail, the way a
// constraint or I/O error would.
class AtomicWriteTest : public testing::StoreTest {
 protected:
  void InstallFailingTrigger(const char* sql) {
    store_.reset();
    {
      auto conn = sqlite::Connection::Open(path(), SQLITE_OPEN_READWRITE);
      ASSERT_TRUE(conn.ok());
      ASSERT_TRUE(conn->Exec(sql).ok());
    }
    Reopen();
  }
};

TEST_F(AtomicWriteTest, JobWhoseLabelFailsLeavesNothingAndTheGroupSurvives) {
  InstallFailingTrigger(
      "CREATE TRIGGER fail_label BEFORE INSERT ON job_labels WHEN NEW.key = 'boom' "
      "BEGIN SELECT RAISE(ABORT, 'label rejected'); END");
  Job before;
  before.spec.name = "before";
  before.spec.labels = {{"team", "a"}};
  ASSERT_TRUE(store().InsertJob(before).ok());

  Job failing;
  failing.spec.name = "failing";
  failing.spec.labels = {{"a-first", "1"}, {"boom", "x"}};  // "a-first" is inserted, then "boom"
  Status s = store().InsertJob(failing);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("label rejected"), std::string::npos) << s.message();

  Job after;
  after.spec.name = "after";
  ASSERT_TRUE(store().InsertJob(after).ok());
  ASSERT_TRUE(store().Flush().ok());
  Reopen();

  JobQuery all;
  auto page = store().ListJobs(all);
  ASSERT_TRUE(page.ok());
  std::vector<std::string> names;
  for (const Job& j : page->jobs) names.push_back(j.spec.name);
  EXPECT_EQ(names, (std::vector<std::string>{"after", "before"}));
  JobQuery by_label;
  by_label.labels = {{"a-first", "1"}};
  auto orphans = store().ListJobs(by_label);
  ASSERT_TRUE(orphans.ok());
  EXPECT_TRUE(orphans->jobs.empty());
}

TEST_F(AtomicWriteTest, MetricBatchWithAFailingPointLeavesNothing) {
  InstallFailingTrigger(
      "CREATE TRIGGER fail_metric BEFORE INSERT ON metrics WHEN NEW.name = 'boom' "
      "BEGIN SELECT RAISE(ABORT, 'metric rejected'); END");
  std::vector<MetricPoint> kept = {{JobId(1), "loss", 1, 0.5, FromMillis(1)}};
  ASSERT_TRUE(store().AppendMetrics(kept).ok());
  std::vector<MetricPoint> batch = {{JobId(1), "loss", 2, 0.4, FromMillis(2)},
                                    {JobId(1), "acc", 2, 0.7, FromMillis(2)},
                                    {JobId(1), "boom", 2, 1.0, FromMillis(2)}};
  EXPECT_FALSE(store().AppendMetrics(batch).ok());
  ASSERT_TRUE(store().Flush().ok());
  Reopen();
  auto points = store().ListMetrics(JobId(1), std::nullopt);
  ASSERT_TRUE(points.ok());
  ASSERT_EQ(points->size(), 1u);
  EXPECT_EQ((*points)[0], kept[0]);
}

}  // namespace
}  // namespace corral::store
