#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/job.h"
#include "model/user.h"

namespace corral::store {

struct JobQuery {
  std::optional<UserId> owner;          // only this user's jobs
  std::vector<JobState> states;         // any of these; empty = all
  std::optional<std::string> name;      // exact
  std::vector<std::pair<std::string, std::string>> labels;  // all must match
  std::optional<std::string> queue;
  int64_t after_id = 0;  // paging cursor: ids strictly below this when > 0 (newest first)
  int limit = 100;
};

struct JobPage {
  std::vector<Job> jobs;
  int64_t next_cursor = 0;  // 0 = no more
};

struct StoredEvent {
  int64_t seq = 0;
  TimePoint time;
  JobId job;
  UserId owner;
  std::string type;     // "submitted", "started", "exited", ...
  std::string message;
};

// Durable state. Writes go into an open transaction that Flush() commits (group commit): the
// caller acknowledges a request only after the Flush() that covers it returned ok.
// Not thread-safe: one owner (the control thread) uses an instance.
class Store {
 public:
  virtual ~Store() = default;

  // Users and API tokens. Tokens are stored as hashes only.
  virtual Result<User> CreateUser(const std::string& name, Role role, TimePoint now) = 0;
  virtual Result<std::optional<User>> FindUserByName(const std::string& name) = 0;
  virtual Result<std::optional<User>> FindUserById(UserId id) = 0;
  virtual Result<std::vector<User>> ListUsers() = 0;
  virtual Status AddToken(UserId user, const std::string& token_hash, const std::string& label,
                          TimePoint now) = 0;
  virtual Result<std::optional<User>> FindUserByTokenHash(const std::string& token_hash) = 0;

  // Jobs. InsertJob assigns job.id. UpdateJob rewrites the mutable part (state, reason, attempts,
  // ended_at, cancel flag).
  virtual Status InsertJob(Job& job) = 0;
  virtual Status UpdateJob(const Job& job) = 0;
  virtual Result<std::optional<Job>> GetJob(JobId id) = 0;
  virtual Result<JobPage> ListJobs(const JobQuery& query) = 0;
  // Every job not in a terminal state, oldest first: what a restarted server must take back.
  virtual Result<std::vector<Job>> LoadActiveJobs() = 0;

  // Append-only event log, for the event stream and for audits.
  virtual Result<int64_t> AppendEvent(const StoredEvent& event) = 0;
  virtual Result<std::vector<StoredEvent>> EventsAfter(int64_t seq, int limit) = 0;

  // Small key/value settings (schema version, queue config, ...).
  virtual Result<std::optional<std::string>> GetSetting(const std::string& key) = 0;
  virtual Status PutSetting(const std::string& key, const std::string& value) = 0;

  // Commits the open transaction, if any. Durable (fsync) when it returns ok.
  virtual Status Flush() = 0;
};

// Opens (creating and migrating as needed) a SQLite database in WAL mode at `path`.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace corral::store
