#include "store/migrations.h"

#include <gtest/gtest.h>

#include "store/job_codec.h"
#include "unit/store/store_fixture.h"

namespace corral::store {
namespace {

using testing::TempDir;

sqlite::Connection OpenRaw(const std::string& path) {
  auto conn = sqlite::Connection::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  return std::move(conn).value();
}

TEST(MigrationTest, FreshDatabaseIsAtTheLatestVersion) {
  TempDir dir;
  ASSERT_TRUE(OpenSqliteStore(dir.File("db")).ok());
  sqlite::Connection conn = OpenRaw(dir.File("db"));
  auto version = SchemaVersion(conn);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, LatestSchemaVersion());
  EXPECT_GE(LatestSchemaVersion(), 2);
}

// A database written by a build that only knew schema version 1 (no experiments).
TEST(MigrationTest, VersionOneDatabaseMigratesForwardKeepingItsData) {
  TempDir dir;
  const std::string path = dir.File("db");
  {
    sqlite::Connection conn = OpenRaw(path);
    ASSERT_TRUE(MigrateTo(conn, 1).ok());
    ASSERT_TRUE(conn.Exec("INSERT INTO users (id, name, role, created_at) "
                          "VALUES (3, 'alice', 'admin', 1000)")
                    .ok());
    JobSpec spec;
    spec.name = "old";
    spec.command = {"echo", "hi"};
    spec.labels = {{"team", "a"}};
    auto q = conn.Prepare(
        "INSERT INTO jobs (id, owner_id, owner_name, name, queue, state, reason, submitted_at, "
        "cancel_requested, spec) VALUES (41, 3, 'alice', 'old', 'default', 'running', '', 2000, "
        "0, ?)");
    ASSERT_TRUE(q.ok());
    q->Bind(1, EncodeJobSpec(spec));
    ASSERT_TRUE(q->Run().ok());
    ASSERT_TRUE(conn.Exec("INSERT INTO job_labels VALUES (41, 'team', 'a')").ok());
    auto version = SchemaVersion(conn);
    ASSERT_TRUE(version.ok());
    ASSERT_EQ(*version, 1);
  }

  auto opened = OpenSqliteStore(path);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& store = **opened;
  auto user = store.FindUserByName("alice");
  ASSERT_TRUE(user.ok() && user->has_value());
  EXPECT_EQ((*user)->role, Role::kAdmin);
  auto job = store.GetJob(JobId(41));
  ASSERT_TRUE(job.ok() && job->has_value()) << job.status().ToString();
  EXPECT_EQ((*job)->spec.command, (std::vector<std::string>{"echo", "hi"}));
  EXPECT_EQ((*job)->state, JobState::kRunning);
  JobQuery by_label;
  by_label.labels = {{"team", "a"}};
  auto page = store.ListJobs(by_label);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->jobs.size(), 1u);

  // What version 2 added works on the migrated database.
  Experiment e;
  e.owner = UserId(3);
  e.name = "sweep";
  e.state = "running";
  ASSERT_TRUE(store.InsertExperiment(e).ok());
  ASSERT_TRUE(store.UpsertTrial(Trial{e.id, 0, JobId(41), {{"lr", 0.1}}, "running", {}}).ok());
  ASSERT_TRUE(store.Flush().ok());
  opened->reset();

  sqlite::Connection conn = OpenRaw(path);
  auto version = SchemaVersion(conn);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, LatestSchemaVersion());
}

TEST(MigrationTest, NewerDatabaseIsRefused) {
  TempDir dir;
  const std::string path = dir.File("db");
  ASSERT_TRUE(OpenSqliteStore(path).ok());
  {
    sqlite::Connection conn = OpenRaw(path);
    std::string bump = "PRAGMA user_version = " + std::to_string(LatestSchemaVersion() + 1);
    ASSERT_TRUE(conn.Exec(bump.c_str()).ok());
  }
  auto opened = OpenSqliteStore(path);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kFailedPrecondition);
}

TEST(MigrationTest, ReadOnlyOpenRefusesAnUnmigratedDatabase) {
  TempDir dir;
  const std::string path = dir.File("db");
  {
    sqlite::Connection conn = OpenRaw(path);
    ASSERT_TRUE(MigrateTo(conn, 1).ok());
  }
  auto reader = OpenSqliteStoreReadOnly(path);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kFailedPrecondition);
}

TEST(MigrationTest, MigratingTwiceIsANoOp) {
  TempDir dir;
  sqlite::Connection conn = OpenRaw(dir.File("db"));
  ASSERT_TRUE(Migrate(conn).ok());
  ASSERT_TRUE(Migrate(conn).ok());
  auto version = SchemaVersion(conn);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, LatestSchemaVersion());
}

}  // namespace
}  // namespace corral::store
