#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "unit/store/store_fixture.h"

namespace corral::store {
namespace {

using testing::StoreTest;
using testing::TempDir;

Job SimpleJob(const std::string& name) {
  Job job;
  job.owner = UserId(1);
  job.owner_name = "alice";
  job.spec.name = name;
  job.spec.command = {"true"};
  job.submitted_at = FromMillis(1000);
  return job;
}

std::vector<std::string> JobNames(Store& store) {
  auto page = store.ListJobs(JobQuery{});
  EXPECT_TRUE(page.ok()) << page.status().ToString();
  std::vector<std::string> names;
  if (page.ok())
    for (const Job& j : page->jobs) names.push_back(j.spec.name);
  return names;
}

TEST_F(StoreTest, FlushedWritesSurviveAndUnflushedOnesDoNot) {
  Job kept = SimpleJob("kept");
  ASSERT_TRUE(store().InsertJob(kept).ok());
  ASSERT_TRUE(store().CreateUser("alice", Role::kUser, FromMillis(1)).ok());
  ASSERT_TRUE(store().Flush().ok());
  Job lost = SimpleJob("lost");
  ASSERT_TRUE(store().InsertJob(lost).ok());
  ASSERT_TRUE(store().CreateUser("bob", Role::kUser, FromMillis(1)).ok());
  kept.state = JobState::kRunning;
  ASSERT_TRUE(store().UpdateJob(kept).ok());
  // The writer sees its own unflushed writes.
  EXPECT_EQ(JobNames(store()), (std::vector<std::string>{"lost", "kept"}));

  Reopen();
  EXPECT_EQ(JobNames(store()), (std::vector<std::string>{"kept"}));
  auto got = store().GetJob(kept.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->state, JobState::kPending);
  auto bob = store().FindUserByName("bob");
  ASSERT_TRUE(bob.ok());
  EXPECT_FALSE(bob->has_value());
}

// The process dies by SIGKILL: no destructor runs, so only what Flush committed can be there.
TEST(DurabilityTest, KilledWriterKeepsExactlyTheFlushedWrites) {
  TempDir dir;
  const std::string path = dir.File("corral.db");
  {
    auto created = OpenSqliteStore(path);  // create the schema before forking
    ASSERT_TRUE(created.ok());
  }
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto opened = OpenSqliteStore(path);
    if (!opened.ok()) _exit(10);
    Store& s = **opened;
    for (int i = 0; i < 120; ++i) {
      Job job = SimpleJob("flushed-" + std::to_string(i));
      if (!s.InsertJob(job).ok()) _exit(11);
      if (i % 50 == 49 && !s.Flush().ok()) _exit(12);
    }
    // Jobs 100..119 were written after the last Flush.
    kill(getpid(), SIGKILL);
    _exit(13);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  auto reopened = OpenSqliteStore(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  JobQuery all;
  all.limit = 1000;
  auto page = (*reopened)->ListJobs(all);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->jobs.size(), 100u);
  EXPECT_EQ(page->jobs.front().spec.name, "flushed-99");
  EXPECT_EQ(page->jobs.back().spec.name, "flushed-0");
}

// A full disk (here a file-size limit) makes a commit fail. Every later Flush must fail too, even
// one whose own writes would fit: committing them would store a state without the lost writes
// that the writer's memory still builds on. After reopening, exactly the good groups are there.
TEST(DurabilityTest, AFailedCommitFailsEveryLaterFlush) {
  TempDir dir;
  const std::string path = dir.File("corral.db");
  {
    auto created = OpenSqliteStore(path);
    ASSERT_TRUE(created.ok());
  }
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    signal(SIGXFSZ, SIG_IGN);  // writes past the limit fail with EFBIG instead
    struct rlimit limit {};
    if (getrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(19);
    limit.rlim_cur = 512 * 1024;  // the soft limit only, so that it can be lifted again
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(20);
    auto opened = OpenSqliteStore(path);
    if (!opened.ok()) _exit(21);
    Store& s = **opened;
    int good = 0;
    for (;; ++good) {
      Job job = SimpleJob("group-" + std::to_string(good));
      job.spec.env["PAD"] = std::string(8000, 'x');
      if (!s.InsertJob(job).ok()) _exit(22);
      if (!s.Flush().ok()) break;
      if (good > 10000) _exit(23);  // never filled up
    }
    // Room again (a file was deleted, say): a small write would fit, but must not be stored.
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(24);
    Job small = SimpleJob("after-failure");
    (void)s.InsertJob(small);
    if (s.Flush().ok()) _exit(25);
    _exit(good > 0 && good < 250 ? good : 26);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  const int good = WEXITSTATUS(status);
  ASSERT_TRUE(good > 0 && good < 250) << "child exited with " << good;

  auto reopened = OpenSqliteStore(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  JobQuery all;
  all.limit = 1000;
  auto page = (*reopened)->ListJobs(all);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->jobs.size(), static_cast<size_t>(good));
  EXPECT_EQ(page->jobs.front().spec.name, "group-" + std::to_string(good - 1));
  Job next = SimpleJob("works-again");
  ASSERT_TRUE((*reopened)->InsertJob(next).ok());
  EXPECT_TRUE((*reopened)->Flush().ok());
}

TEST_F(StoreTest, ReadOnlyConnectionSeesOnlyFlushedDataAndRefusesWrites) {
  Job first = SimpleJob("first");
  ASSERT_TRUE(store().InsertJob(first).ok());
  ASSERT_TRUE(store().Flush().ok());
  Job second = SimpleJob("second");
  ASSERT_TRUE(store().InsertJob(second).ok());

  auto reader = OpenSqliteStoreReadOnly(path());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(JobNames(**reader), (std::vector<std::string>{"first"}));

  Job third = SimpleJob("third");
  EXPECT_EQ((*reader)->InsertJob(third).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*reader)->PutSetting("k", "v").code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE((*reader)->CreateUser("x", Role::kUser, FromMillis(1)).ok());
  EXPECT_TRUE((*reader)->Flush().ok());

  ASSERT_TRUE(store().Flush().ok());
  EXPECT_EQ(JobNames(**reader), (std::vector<std::string>{"second", "first"}));
}

TEST(DurabilityTest, ReadOnlyOpenNeedsAMigratedDatabase) {
  TempDir dir;
  auto missing = OpenSqliteStoreReadOnly(dir.File("absent.db"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInternal);
  EXPECT_NE(missing.status().message().find("sqlite"), std::string::npos);
}

TEST(DurabilityTest, OpenFailureCarriesTheSqliteMessage) {
  TempDir dir;
  auto opened = OpenSqliteStore(dir.File("no/such/dir/corral.db"));
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kInternal);
  EXPECT_NE(opened.status().message().find("unable to open"), std::string::npos)
      << opened.status().message();
}

TEST(DurabilityTest, InMemoryStoreWorksForTests) {
  auto opened = OpenSqliteStore(":memory:");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Job job = SimpleJob("mem");
  ASSERT_TRUE((*opened)->InsertJob(job).ok());
  ASSERT_TRUE((*opened)->Flush().ok());
  EXPECT_EQ(JobNames(**opened), (std::vector<std::string>{"mem"}));
}

TEST_F(StoreTest, FlushWithNothingPendingIsOk) {
  EXPECT_TRUE(store().Flush().ok());
  EXPECT_TRUE(store().Flush().ok());
}

}  // namespace
}  // namespace corral::store
