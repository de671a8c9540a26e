#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/experiment.h"
#include "model/job.h"
#include "model/session.h"
#include "model/user.h"
#include "model/workflow.h"

namespace corral::store {

struct JobQuery {
  std::optional<UserId> owner;                              // only this user's jobs
  std::vector<JobState> states;                             // any of these; empty = all
  std::optional<std::string> name;                          // exact
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
  std::string type;  // "submitted", "started", "exited", ...
  std::string message;
};

struct ExperimentQuery {
  std::optional<UserId> owner;
  int64_t after_id = 0;  // paging cursor, as in JobQuery (newest first)
  int limit = 100;
};

struct ExperimentPage {
  std::vector<Experiment> experiments;
  int64_t next_cursor = 0;  // 0 = no more
};

// Durable state. Writes go into an open transaction that Flush() commits (group commit): the
// caller acknowledges a request only after the Flush() that covers it returned ok. Reads through
// the same instance already see unflushed writes; other connections do not. Destroying a store
// discards what was not flushed, as a crash would.
// Not thread-safe: one owner (the control thread) uses an instance.
class Store {
 public:
  virtual ~Store() = default;

  // Users and API tokens. Tokens are stored as hashes only.
  virtual Result<User> CreateUser(const std::string& name, Role role, TimePoint now) = 0;
  // The local account the user's jobs run as ("" = the default mapping). kNotFound for no user.
  virtual Status SetUserUnixAccount(UserId id, const std::string& unix_user) = 0;
  virtual Result<std::optional<User>> FindUserByName(const std::string& name) = 0;
  virtual Result<std::optional<User>> FindUserById(UserId id) = 0;
  virtual Result<std::vector<User>> ListUsers() = 0;
  // Returns the new token's id.
  virtual Result<int64_t> AddToken(UserId user, const std::string& token_hash,
                                   const std::string& label, TimePoint now) = 0;
  virtual Result<std::optional<User>> FindUserByTokenHash(const std::string& token_hash) = 0;
  virtual Result<std::optional<int64_t>> FindTokenIdByHash(const std::string& token_hash) = 0;
  // One user's tokens, or everyone's; oldest first.
  virtual Result<std::vector<TokenInfo>> ListTokens(std::optional<UserId> user) = 0;
  virtual Result<std::optional<TokenInfo>> FindToken(int64_t id) = 0;
  // kNotFound when there is no such token. The sessions made from it go with it.
  virtual Status DeleteToken(int64_t id) = 0;

  // Passwords (an encoded argon2id hash, never the password) and browser sessions.
  // SetPasswordHash: kNotFound for an unknown user. GetPasswordHash: nullopt when none is set.
  virtual Status SetPasswordHash(UserId user, const std::string& hash) = 0;
  virtual Result<std::optional<std::string>> GetPasswordHash(UserId user) = 0;
  virtual Status InsertSession(const Session& session) = 0;
  virtual Result<std::optional<Session>> FindSession(const std::string& id_hash) = 0;
  // Records activity; nothing happens for a session that no longer exists.
  virtual Status TouchSession(const std::string& id_hash, TimePoint last_seen) = 0;
  // Deleting what does not exist is not an error. DeleteUserSessions returns how many went.
  virtual Status DeleteSession(const std::string& id_hash) = 0;
  virtual Result<int64_t> DeleteUserSessions(UserId user) = 0;
  // Sessions past their absolute end, or idle since before `idle_before`.
  virtual Result<int64_t> DeleteExpiredSessions(TimePoint now, TimePoint idle_before) = 0;

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
  // Events after `seq` in order, at most `limit`; only `owner`'s jobs' events when given.
  virtual Result<std::vector<StoredEvent>> EventsAfter(int64_t seq, int limit,
                                                       std::optional<UserId> owner) = 0;

  // Experiments, their trials, and per-job metric series. InsertExperiment assigns
  // experiment.id; UpdateExperiment rewrites the mutable part (state, sampler_state, ended_at).
  virtual Status InsertExperiment(Experiment& experiment) = 0;
  virtual Status UpdateExperiment(const Experiment& experiment) = 0;
  virtual Result<std::optional<Experiment>> GetExperiment(ExperimentId id) = 0;
  virtual Result<ExperimentPage> ListExperiments(const ExperimentQuery& query) = 0;
  // Every experiment without ended_at, oldest first.
  virtual Result<std::vector<Experiment>> LoadActiveExperiments() = 0;
  // Inserts or replaces the trial (experiment, number). kNotFound for an unknown experiment.
  virtual Status UpsertTrial(const Trial& trial) = 0;
  // Trials of one experiment by number.
  virtual Result<std::vector<Trial>> ListTrials(ExperimentId experiment) = 0;
  // The search's own record of a trial (opaque text from tune/), kept in the trial's row so that
  // saving a step writes only the trials it changed. kNotFound when the trial row does not exist;
  // UpsertTrial leaves the record as it is.
  virtual Status SetTrialSearchState(ExperimentId experiment, int number,
                                     std::string_view record) = 0;
  // Every trial's record by number; an empty string where none was set.
  virtual Result<std::vector<std::string>> ListTrialSearchStates(ExperimentId experiment) = 0;
  // Appends all points or none. A NaN value round-trips as NaN.
  virtual Status AppendMetrics(std::span<const MetricPoint> points) = 0;
  // A job's points ordered by (name, step, insertion); only series `name` when given.
  virtual Result<std::vector<MetricPoint>> ListMetrics(JobId job,
                                                       const std::optional<std::string>& name) = 0;

  // Workflow runs (workflow/). InsertWorkflow assigns row.id; UpdateWorkflow rewrites phase,
  // message, state and times. Nodes are upserted by (workflow, name). Deleting a run deletes its
  // nodes. ListWorkflows: newest first, `owner` and `phase` filters when given.
  virtual Status InsertWorkflow(WorkflowRow& row) = 0;
  virtual Status UpdateWorkflow(const WorkflowRow& row) = 0;
  virtual Result<std::optional<WorkflowRow>> GetWorkflow(int64_t id) = 0;
  virtual Result<std::vector<WorkflowRow>> ListWorkflows(std::optional<UserId> owner,
                                                         const std::string& phase, int limit) = 0;
  // Every run without finished_at, oldest first.
  virtual Result<std::vector<WorkflowRow>> LoadActiveWorkflows() = 0;
  virtual Status DeleteWorkflow(int64_t id) = 0;
  virtual Status PutWorkflowNodes(int64_t workflow, std::span<const WorkflowNodeRow> nodes) = 0;
  virtual Status DeleteWorkflowNodes(int64_t workflow, std::span<const std::string> names) = 0;
  virtual Result<std::vector<WorkflowNodeRow>> ListWorkflowNodes(int64_t workflow) = 0;
  // Stored templates, replaced by (kind, name). kNotFound when deleting what is not there.
  virtual Status PutWorkflowTemplate(const WorkflowTemplateRow& row) = 0;
  virtual Result<std::vector<WorkflowTemplateRow>> ListWorkflowTemplates() = 0;
  virtual Result<std::optional<WorkflowTemplateRow>> GetWorkflowTemplate(
      const std::string& kind, const std::string& name) = 0;
  virtual Status DeleteWorkflowTemplate(const std::string& kind, const std::string& name) = 0;
  // Memoized outputs by (cache name, key); nullopt when absent.
  virtual Result<std::optional<std::string>> GetWorkflowMemo(const std::string& cache,
                                                             const std::string& key) = 0;
  virtual Status PutWorkflowMemo(const std::string& cache, const std::string& key,
                                 const std::string& outputs, TimePoint now) = 0;

  // Small key/value settings (schema version, queue config, ...).
  virtual Result<std::optional<std::string>> GetSetting(const std::string& key) = 0;
  virtual Status PutSetting(const std::string& key, const std::string& value) = 0;

  // Commits the open transaction, if any. Durable (fsync) when it returns ok. Once a Flush has
  // failed, every later one fails with the same error and stores nothing: reopen to recover.
  virtual Status Flush() = 0;
};

// Opens (creating and migrating as needed) a SQLite database in WAL mode at `path`. ":memory:"
// gives a private in-memory database (no WAL, nothing durable), handy for tests of other modules.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

// Opens a second, read-only connection to a database that OpenSqliteStore already created and
// migrated. It sees only flushed data and never blocks the writer (WAL). Each instance is still
// single-owner: give every reader thread its own. Write methods return kFailedPrecondition.
Result<std::unique_ptr<Store>> OpenSqliteStoreReadOnly(const std::string& path);

}  // namespace corral::store
