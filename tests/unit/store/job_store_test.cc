#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "unit/store/store_fixture.h"

namespace corral::store {
namespace {

using testing::StoreTest;

Job FullJob() {
  Job job;
  job.owner = UserId(7);
  job.owner_name = "alice";
  job.spec.name = "train";
  job.spec.command = {"python3", "train.py"};
  job.spec.replicas = 2;
  job.spec.resources = {.gpus = 4, .cpus = 16, .memory_mb = 1024};
  job.spec.env = {{"K", "V"}};
  job.spec.workdir = "/w";
  job.spec.priority = PriorityClass::kHigh;
  job.spec.queue = "q1";
  job.spec.time_limit = Duration(60'000);
  job.spec.retry.max_retries = 2;
  job.spec.labels = {{"team", "a"}, {"run", "7"}};
  job.spec.preemptible = true;
  job.state = JobState::kRunning;
  job.reason = "started";
  job.submitted_at = FromMillis(1'700'000'000'123);
  job.cancel_requested = true;
  Attempt failed;
  failed.number = 1;
  failed.started_at = FromMillis(1'700'000'001'000);
  failed.ended_at = FromMillis(1'700'000'002'000);
  failed.exit_code = 1;
  failed.end_reason = "exited";
  for (int i = 0; i < 2; ++i) {
    ReplicaRun r;
    r.index = i;
    r.placement = {"node-" + std::to_string(i), {i, i + 4}};
    r.external_id = "pid" + std::to_string(i);
    r.state = ReplicaState::kExited;
    r.started_at = FromMillis(1'700'000'001'000 + i);
    r.ended_at = FromMillis(1'700'000'002'000 - i);
    r.exit_code = i;
    failed.replicas.push_back(r);
  }
  Attempt running;
  running.number = 2;
  running.started_at = FromMillis(1'700'000'003'000);
  ReplicaRun r;
  r.index = 0;
  r.placement = {"node-9", {3}};
  r.state = ReplicaState::kRunning;
  running.replicas.push_back(r);
  job.attempts = {failed, running};
  return job;
}

void ExpectSameJob(const Job& got, const Job& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.owner, want.owner);
  EXPECT_EQ(got.owner_name, want.owner_name);
  EXPECT_EQ(got.spec.name, want.spec.name);
  EXPECT_EQ(got.spec.command, want.spec.command);
  EXPECT_EQ(got.spec.script, want.spec.script);
  EXPECT_EQ(got.spec.replicas, want.spec.replicas);
  EXPECT_EQ(got.spec.resources.gpus, want.spec.resources.gpus);
  EXPECT_EQ(got.spec.resources.cpus, want.spec.resources.cpus);
  EXPECT_EQ(got.spec.resources.memory_mb, want.spec.resources.memory_mb);
  EXPECT_EQ(got.spec.env, want.spec.env);
  EXPECT_EQ(got.spec.workdir, want.spec.workdir);
  EXPECT_EQ(got.spec.priority, want.spec.priority);
  EXPECT_EQ(got.spec.queue, want.spec.queue);
  EXPECT_EQ(got.spec.time_limit, want.spec.time_limit);
  EXPECT_EQ(got.spec.retry.max_retries, want.spec.retry.max_retries);
  EXPECT_EQ(got.spec.retry.retry_on_preemption, want.spec.retry.retry_on_preemption);
  EXPECT_EQ(got.spec.labels, want.spec.labels);
  EXPECT_EQ(got.spec.preemptible, want.spec.preemptible);
  EXPECT_EQ(got.state, want.state);
  EXPECT_EQ(got.reason, want.reason);
  EXPECT_EQ(got.submitted_at, want.submitted_at);
  EXPECT_EQ(got.ended_at, want.ended_at);
  EXPECT_EQ(got.cancel_requested, want.cancel_requested);
  ASSERT_EQ(got.attempts.size(), want.attempts.size());
  for (size_t i = 0; i < want.attempts.size(); ++i) {
    const Attempt& a = got.attempts[i];
    const Attempt& b = want.attempts[i];
    EXPECT_EQ(a.number, b.number);
    EXPECT_EQ(a.started_at, b.started_at);
    EXPECT_EQ(a.ended_at, b.ended_at);
    EXPECT_EQ(a.exit_code, b.exit_code);
    EXPECT_EQ(a.end_reason, b.end_reason);
    ASSERT_EQ(a.replicas.size(), b.replicas.size());
    for (size_t k = 0; k < b.replicas.size(); ++k) {
      EXPECT_EQ(a.replicas[k].index, b.replicas[k].index);
      EXPECT_EQ(a.replicas[k].placement.node, b.replicas[k].placement.node);
      EXPECT_EQ(a.replicas[k].placement.gpus, b.replicas[k].placement.gpus);
      EXPECT_EQ(a.replicas[k].external_id, b.replicas[k].external_id);
      EXPECT_EQ(a.replicas[k].state, b.replicas[k].state);
      EXPECT_EQ(a.replicas[k].started_at, b.replicas[k].started_at);
      EXPECT_EQ(a.replicas[k].ended_at, b.replicas[k].ended_at);
      EXPECT_EQ(a.replicas[k].exit_code, b.replicas[k].exit_code);
      EXPECT_EQ(a.replicas[k].term_signal, b.replicas[k].term_signal);
    }
  }
}

TEST_F(StoreTest, FullJobRoundTripsAcrossReopen) {
  Job job = FullJob();
  ASSERT_TRUE(store().InsertJob(job).ok());
  ASSERT_TRUE(job.id.valid());
  ASSERT_TRUE(store().Flush().ok());
  Reopen();
  auto got = store().GetJob(job.id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  ExpectSameJob(**got, job);
}

TEST_F(StoreTest, UpdateRewritesTheMutablePart) {
  Job job = FullJob();
  job.state = JobState::kPending;
  job.attempts.clear();
  job.cancel_requested = false;
  ASSERT_TRUE(store().InsertJob(job).ok());

  Job updated = FullJob();
  updated.id = job.id;
  updated.state = JobState::kFailed;
  updated.reason = "exit code 1";
  updated.ended_at = FromMillis(1'700'000'009'000);
  ASSERT_TRUE(store().UpdateJob(updated).ok());
  auto got = store().GetJob(job.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  ExpectSameJob(**got, updated);

  // Back to no history and no end: the columns are cleared, not left stale.
  updated.attempts.clear();
  updated.ended_at.reset();
  updated.cancel_requested = false;
  ASSERT_TRUE(store().UpdateJob(updated).ok());
  got = store().GetJob(job.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  ExpectSameJob(**got, updated);
}

TEST_F(StoreTest, UnknownJobsAreAbsentOrNotFound) {
  auto got = store().GetJob(JobId(12345));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  Job ghost = FullJob();
  ghost.id = JobId(12345);
  EXPECT_EQ(store().UpdateJob(ghost).code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, InsertAssignsIncreasingIds) {
  Job a = FullJob(), b = FullJob();
  ASSERT_TRUE(store().InsertJob(a).ok());
  ASSERT_TRUE(store().InsertJob(b).ok());
  EXPECT_LT(a.id, b.id);
}

TEST_F(StoreTest, CountJobsByStateCountsEveryStateWithJobs) {
  auto empty = store().CountJobsByState();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(store().HasUncommittedWrites());
  for (JobState state : {JobState::kPending, JobState::kPending, JobState::kSucceeded,
                         JobState::kFailed, JobState::kPending}) {
    Job job = FullJob();
    job.state = state;
    ASSERT_TRUE(store().InsertJob(job).ok());
  }
  EXPECT_TRUE(store().HasUncommittedWrites());
  auto counts = store().CountJobsByState();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts,
            (std::map<JobState, int64_t>{
                {JobState::kPending, 3}, {JobState::kSucceeded, 1}, {JobState::kFailed, 1}}));
  ASSERT_TRUE(store().Flush().ok());
  EXPECT_FALSE(store().HasUncommittedWrites());
  // A read-only connection sees the committed counts.
  auto reader = OpenSqliteStoreReadOnly(path());
  ASSERT_TRUE(reader.ok());
  auto committed = (*reader)->CountJobsByState();
  ASSERT_TRUE(committed.ok());
  EXPECT_EQ(committed->at(JobState::kPending), 3);
}

TEST_F(StoreTest, ListJobsPagesNewestFirst) {
  std::vector<JobId> ids;
  for (int i = 0; i < 25; ++i) {
    Job job = FullJob();
    ASSERT_TRUE(store().InsertJob(job).ok());
    ids.push_back(job.id);
  }
  std::reverse(ids.begin(), ids.end());
  std::vector<JobId> seen;
  JobQuery query;
  query.limit = 10;
  std::vector<size_t> page_sizes;
  while (true) {
    auto page = store().ListJobs(query);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    page_sizes.push_back(page->jobs.size());
    for (const Job& j : page->jobs) seen.push_back(j.id);
    if (page->next_cursor == 0) break;
    EXPECT_EQ(page->next_cursor, page->jobs.back().id.value);
    query.after_id = page->next_cursor;
  }
  EXPECT_EQ(seen, ids);
  EXPECT_EQ(page_sizes, (std::vector<size_t>{10, 10, 5}));
}

TEST_F(StoreTest, ExactlyFullLastPageHasNoCursor) {
  for (int i = 0; i < 4; ++i) {
    Job job = FullJob();
    ASSERT_TRUE(store().InsertJob(job).ok());
  }
  JobQuery query;
  query.limit = 4;
  auto page = store().ListJobs(query);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->jobs.size(), 4u);
  EXPECT_EQ(page->next_cursor, 0);
}

TEST_F(StoreTest, ListJobsRejectsNonPositiveLimit) {
  JobQuery query;
  query.limit = 0;
  auto page = store().ListJobs(query);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), StatusCode::kInvalidArgument);
}

// Filters checked against a brute-force filter over the same randomly generated jobs.
TEST_F(StoreTest, FiltersCombineLikeABruteForceFilter) {
  std::mt19937 rng(42);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<JobState> states = {JobState::kPending,   JobState::kRunning,
                                        JobState::kSucceeded, JobState::kFailed,
                                        JobState::kCancelled, JobState::kPreempted};
  std::vector<Job> all;
  for (int i = 0; i < 300; ++i) {
    Job job;
    job.owner = UserId(1 + pick(3));
    job.owner_name = "u" + std::to_string(job.owner.value);
    job.spec.name = "n" + std::to_string(pick(4));
    job.spec.queue = "q" + std::to_string(pick(2));
    job.spec.command = {"true"};
    if (pick(2)) job.spec.labels["team"] = "t" + std::to_string(pick(2));
    if (pick(2)) job.spec.labels["sweep"] = "s" + std::to_string(pick(2));
    job.state = states[static_cast<size_t>(pick(static_cast<int>(states.size())))];
    job.submitted_at = FromMillis(1000 + i);
    ASSERT_TRUE(store().InsertJob(job).ok());
    all.push_back(job);
  }
  ASSERT_TRUE(store().Flush().ok());

  auto matches = [](const JobQuery& q, const Job& j) {
    if (q.owner && j.owner != *q.owner) return false;
    if (!q.states.empty() && std::find(q.states.begin(), q.states.end(), j.state) == q.states.end())
      return false;
    if (q.name && j.spec.name != *q.name) return false;
    if (q.queue && j.spec.queue != *q.queue) return false;
    for (const auto& [k, v] : q.labels) {
      auto it = j.spec.labels.find(k);
      if (it == j.spec.labels.end() || it->second != v) return false;
    }
    return true;
  };

  int nonempty = 0;
  for (int trial = 0; trial < 200; ++trial) {
    JobQuery q;
    if (pick(2)) q.owner = UserId(1 + pick(3));
    if (pick(2)) {
      for (JobState s : states)
        if (pick(3) == 0) q.states.push_back(s);
    }
    if (pick(3) == 0) q.name = "n" + std::to_string(pick(4));
    if (pick(3) == 0) q.queue = "q" + std::to_string(pick(2));
    if (pick(3) == 0) q.labels.emplace_back("team", "t" + std::to_string(pick(2)));
    if (pick(3) == 0) q.labels.emplace_back("sweep", "s" + std::to_string(pick(2)));
    q.limit = 1 + pick(40);

    std::vector<JobId> want;
    for (auto it = all.rbegin(); it != all.rend(); ++it)
      if (matches(q, *it)) want.push_back(it->id);
    std::vector<JobId> got;
    while (true) {
      auto page = store().ListJobs(q);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      ASSERT_LE(static_cast<int>(page->jobs.size()), q.limit);
      for (const Job& j : page->jobs) {
        EXPECT_TRUE(matches(q, j)) << "job " << j.id.value << " does not match the query";
        got.push_back(j.id);
      }
      if (page->next_cursor == 0) break;
      q.after_id = page->next_cursor;
    }
    EXPECT_EQ(got, want) << "query " << trial;
    if (!want.empty()) ++nonempty;
  }
  // The generated queries must exercise real results, not only empty ones.
  EXPECT_GT(nonempty, 100);
}

// A label on thousands of jobs is filtered differently from a rare one; both must be exact.
TEST_F(StoreTest, CommonAndRareLabelFiltersAreExact) {
  std::vector<Job> all;
  for (int i = 0; i < 2600; ++i) {
    Job job;
    job.owner = UserId(1 + i % 3);
    job.spec.command = {"true"};
    job.spec.labels["team"] = i % 5 == 0 ? "rare" : "common";
    job.state = i % 2 ? JobState::kSucceeded : JobState::kFailed;
    ASSERT_TRUE(store().InsertJob(job).ok());
    all.push_back(job);
  }
  for (const char* team : {"common", "rare"}) {
    for (bool with_owner : {false, true}) {
      JobQuery q;
      q.labels = {{"team", team}};
      if (with_owner) {
        q.owner = UserId(2);
        q.states = {JobState::kSucceeded};
      }
      q.limit = 700;
      std::vector<JobId> want;
      for (auto it = all.rbegin(); it != all.rend(); ++it) {
        if (it->spec.labels.at("team") != team) continue;
        if (with_owner && (it->owner != UserId(2) || it->state != JobState::kSucceeded)) continue;
        want.push_back(it->id);
      }
      std::vector<JobId> got;
      while (true) {
        auto page = store().ListJobs(q);
        ASSERT_TRUE(page.ok()) << page.status().ToString();
        for (const Job& j : page->jobs) got.push_back(j.id);
        if (page->next_cursor == 0) break;
        q.after_id = page->next_cursor;
      }
      ASSERT_FALSE(want.empty());
      EXPECT_EQ(got, want) << team << (with_owner ? " with owner and state" : "");
    }
  }
}

TEST_F(StoreTest, LoadActiveJobsReturnsNonTerminalOldestFirst) {
  std::vector<JobId> active;
  const std::vector<JobState> sequence = {
      JobState::kSucceeded, JobState::kPending,   JobState::kRunning,  JobState::kFailed,
      JobState::kStarting,  JobState::kCancelled, JobState::kPreempted};
  for (JobState s : sequence) {
    Job job = FullJob();
    job.state = s;
    ASSERT_TRUE(store().InsertJob(job).ok());
    if (!IsTerminal(s)) active.push_back(job.id);
  }
  // A job that ends later leaves the active set.
  Job finishing = FullJob();
  finishing.state = JobState::kRunning;
  ASSERT_TRUE(store().InsertJob(finishing).ok());
  finishing.state = JobState::kSucceeded;
  ASSERT_TRUE(store().UpdateJob(finishing).ok());

  auto loaded = store().LoadActiveJobs();
  ASSERT_TRUE(loaded.ok());
  std::vector<JobId> got;
  for (const Job& j : *loaded) got.push_back(j.id);
  EXPECT_EQ(got, active);
  ASSERT_FALSE(loaded->empty());
  ExpectSameJob(loaded->front(), [&] {
    Job want = FullJob();
    want.id = active.front();
    want.state = JobState::kPending;
    return want;
  }());
}

TEST_F(StoreTest, SettingsAreUpserted) {
  auto missing = store().GetSetting("queues");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(store().PutSetting("queues", "a").ok());
  ASSERT_TRUE(store().PutSetting("queues", "b").ok());
  auto got = store().GetSetting("queues");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, "b");
}

}  // namespace
}  // namespace corral::store
