#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <variant>

#include "store/experiment_codec.h"
#include "store/job_codec.h"
#include "store/migrations.h"
#include "store/sqlite_handle.h"
#include "store/store.h"

namespace corral::store {
namespace {

using sqlite::Connection;
using sqlite::Query;

// Page cache per connection, in KiB (negative = KiB in SQLite's convention). Bounded so that a
// server with a long job history keeps a small footprint; the OS page cache does the rest.
constexpr const char* kCacheSize = "PRAGMA cache_size = -8192";
constexpr int kBusyTimeoutMs = 5000;
// The WAL file is truncated back to this size after a checkpoint.
constexpr const char* kJournalSizeLimit = "PRAGMA journal_size_limit = 67108864";

// Label filters matching at most this many jobs drive a ListJobs query (see ListJobs).
constexpr int64_t kRareLabelJobs = 2000;

constexpr const char* kJobColumns =
    "id, owner_id, owner_name, state, reason, submitted_at, ended_at, cancel_requested, spec, "
    "attempts, parent_kind, parent_id, parent_key";
constexpr const char* kExperimentColumns =
    "id, owner_id, name, spec, state, sampler_state, created_at, ended_at";
constexpr const char* kNotebookColumns =
    "id, owner_id, owner_name, name, state, message, gpus, environment, idle_timeout_ms, job_id, "
    "attempt, port, ssh_port, created_at, ready_at, ended_at";
constexpr const char* kUserColumns = "id, name, role, created_at, unix_user";

bool IsUniqueViolation(int code) {
  return code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY;
}

Result<Role> ParseRole(std::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "user") return Role::kUser;
  return Internal(fmt::format("corrupt user role \"{}\" in store", name));
}

Result<User> ReadUser(const Query& q) {
  User user;
  user.id = UserId(q.Int(0));
  user.name = std::string(q.Text(1));
  CORRAL_ASSIGN_OR_RETURN(user.role, ParseRole(q.Text(2)));
  user.created_at = FromMillis(q.Int(3));
  user.unix_user = std::string(q.Text(4));
  return user;
}

std::optional<TimePoint> OptionalTime(const Query& q, int col) {
  if (q.IsNull(col)) return std::nullopt;
  return FromMillis(q.Int(col));
}

std::optional<int64_t> OptionalMillis(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return ToMillis(*t);
}

// Decoders for queries that select a single column.
int64_t IntColumn(const Query& q) { return q.Int(0); }
std::string TextColumn(const Query& q) { return std::string(q.Text(0)); }

Session ReadSession(const Query& q) {
  Session s;
  s.id_hash = std::string(q.Text(0));
  s.user = UserId(q.Int(1));
  s.csrf_token = std::string(q.Text(2));
  s.created_at = FromMillis(q.Int(3));
  s.last_seen = FromMillis(q.Int(4));
  s.expires_at = FromMillis(q.Int(5));
  if (!q.IsNull(6)) s.token_id = q.Int(6);
  return s;
}

// Reads a row selected with kJobColumns.
Result<Job> ReadJob(const Query& q) {
  Job job;
  job.id = JobId(q.Int(0));
  job.owner = UserId(q.Int(1));
  job.owner_name = std::string(q.Text(2));
  auto state = ParseJobState(q.Text(3));
  if (!state)
    return Internal(fmt::format("corrupt state \"{}\" of job {}", q.Text(3), job.id.value));
  job.state = *state;
  job.reason = std::string(q.Text(4));
  job.submitted_at = FromMillis(q.Int(5));
  job.ended_at = OptionalTime(q, 6);
  job.cancel_requested = q.Int(7) != 0;
  CORRAL_ASSIGN_OR_RETURN(job.spec, DecodeJobSpec(q.Text(8)));
  CORRAL_ASSIGN_OR_RETURN(job.attempts, DecodeAttempts(q.Text(9)));
  if (!q.IsNull(10)) {
    auto kind = ParseParentKind(q.Text(10));
    if (!kind)
      return Internal(
          fmt::format("corrupt parent kind \"{}\" of job {}", q.Text(10), job.id.value));
    job.parent = JobParent{*kind, q.Int(11), std::string(q.Text(12))};
  }
  return job;
}

// Reads a row selected with kExperimentColumns.
Experiment ReadExperiment(const Query& q) {
  Experiment e;
  e.id = ExperimentId(q.Int(0));
  e.owner = UserId(q.Int(1));
  e.name = std::string(q.Text(2));
  e.spec = std::string(q.Text(3));
  e.state = std::string(q.Text(4));
  e.sampler_state = std::string(q.Text(5));
  e.created_at = FromMillis(q.Int(6));
  e.ended_at = OptionalTime(q, 7);
  return e;
}

// Reads a row selected with kNotebookColumns.
Notebook ReadNotebook(const Query& q) {
  Notebook n;
  n.id = NotebookId(q.Int(0));
  n.owner = UserId(q.Int(1));
  n.owner_name = std::string(q.Text(2));
  n.name = std::string(q.Text(3));
  n.state = std::string(q.Text(4));
  n.message = std::string(q.Text(5));
  n.gpus = static_cast<int>(q.Int(6));
  n.environment = std::string(q.Text(7));
  n.idle_timeout = Duration(q.Int(8));
  n.job = JobId(q.IsNull(9) ? 0 : q.Int(9));
  n.attempt = static_cast<int>(q.Int(10));
  n.port = static_cast<int>(q.Int(11));
  n.ssh_port = static_cast<int>(q.Int(12));
  n.created_at = FromMillis(q.Int(13));
  n.ready_at = OptionalTime(q, 14);
  n.ended_at = OptionalTime(q, 15);
  return n;
}

// "'pending', 'starting', ..." for every non-terminal state, so the list follows the enum.
std::string ActiveStateList() {
  std::string out;
  for (JobState s :
       {JobState::kPending, JobState::kStarting, JobState::kRunning, JobState::kSucceeded,
        JobState::kFailed, JobState::kCancelled, JobState::kPreempted}) {
    if (IsTerminal(s)) continue;
    if (!out.empty()) out += ", ";
    out += fmt::format("'{}'", JobStateName(s));
  }
  return out;
}

using SqlValue = std::variant<int64_t, std::string>;

void BindAll(Query& q, const std::vector<SqlValue>& values) {
  int index = 1;
  for (const SqlValue& v : values) {
    std::visit([&](const auto& x) { q.Bind(index, x); }, v);
    ++index;
  }
}

class SqliteStore final : public Store {
 public:
  SqliteStore(Connection conn, bool read_only)
      : conn_(std::move(conn)),
        read_only_(read_only),
        load_active_jobs_sql_(fmt::format("SELECT {} FROM jobs WHERE state IN ({}) ORDER BY id",
                                          kJobColumns, ActiveStateList())) {}

  ~SqliteStore() override {
    // Unflushed writes are discarded, exactly as after a crash.
    if (conn_.in_transaction()) (void)conn_.Exec("ROLLBACK");
  }

  // ---- users and tokens ----

  Result<User> CreateUser(const std::string& name, Role role, TimePoint now) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("INSERT INTO users (name, role, created_at) VALUES (?, ?, ?)"));
    q.Bind(1, name).Bind(2, RoleName(role)).Bind(3, ToMillis(now));
    Status s = q.Run();
    if (!s.ok()) {
      if (IsUniqueViolation(q.last_code())) {
        return Status(StatusCode::kAlreadyExists, fmt::format("user \"{}\" already exists", name));
      }
      return s;
    }
    return User{UserId(sqlite3_last_insert_rowid(conn_.get())), name, role, now, ""};
  }

  Status SetUserUnixAccount(UserId id, const std::string& unix_user) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.Prepare("UPDATE users SET unix_user = ? WHERE id = ?"));
    q.Bind(1, unix_user).Bind(2, id.value);
    CORRAL_RETURN_IF_ERROR(q.Run());
    if (sqlite3_changes(conn_.get()) == 0)
      return NotFound(fmt::format("no user with id {}", id.value));
    return Status::Ok();
  }

  Result<std::optional<User>> FindUserByName(const std::string& name) override {
    return FindUser(fmt::format("SELECT {} FROM users WHERE name = ?", kUserColumns), name);
  }

  Result<std::optional<User>> FindUserById(UserId id) override {
    return FindUser(fmt::format("SELECT {} FROM users WHERE id = ?", kUserColumns), id.value);
  }

  Result<std::vector<User>> ListUsers() override {
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare(fmt::format("SELECT {} FROM users ORDER BY id", kUserColumns)));
    return q.Rows(ReadUser);
  }

  Result<int64_t> AddToken(UserId user, const std::string& token_hash, const std::string& label,
                           TimePoint now) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(
        auto q,
        conn_.Prepare("INSERT INTO tokens (user_id, hash, label, created_at) VALUES (?, ?, ?, ?)"));
    q.Bind(1, user.value).Bind(2, token_hash).Bind(3, label).Bind(4, ToMillis(now));
    Status s = q.Run();
    if (s.ok()) return static_cast<int64_t>(sqlite3_last_insert_rowid(conn_.get()));
    if (q.last_code() == SQLITE_CONSTRAINT_FOREIGNKEY) {
      return NotFound(fmt::format("no user with id {}", user.value));
    }
    if (IsUniqueViolation(q.last_code())) {
      return Status(StatusCode::kAlreadyExists, "a token with this hash already exists");
    }
    return s;
  }

  Result<std::vector<TokenInfo>> ListTokens(std::optional<UserId> user) override {
    std::string sql =
        std::string(kTokenSelect) + (user ? " WHERE t.user_id = ?" : "") + " ORDER BY t.id";
    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.Prepare(sql));
    if (user) q.Bind(1, user->value);
    return q.Rows(ReadToken);
  }

  Result<std::optional<TokenInfo>> FindToken(int64_t id) override {
    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.Prepare(std::string(kTokenSelect) + " WHERE t.id = ?"));
    q.Bind(1, id);
    return q.OneRow(ReadToken);
  }

  Status DeleteToken(int64_t id) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.Prepare("DELETE FROM tokens WHERE id = ?"));
    q.Bind(1, id);
    CORRAL_RETURN_IF_ERROR(q.Run());
    if (sqlite3_changes(conn_.get()) == 0) return NotFound(fmt::format("no token with id {}", id));
    return Status::Ok();
  }

  Result<std::optional<User>> FindUserByTokenHash(const std::string& token_hash) override {
    return FindUser(
        "SELECT u.id, u.name, u.role, u.created_at, u.unix_user FROM tokens t JOIN users u ON "
        "u.id = t.user_id "
        "WHERE t.hash = ?",
        token_hash);
  }

  Result<std::optional<int64_t>> FindTokenIdByHash(const std::string& token_hash) override {
    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.Prepare("SELECT id FROM tokens WHERE hash = ?"));
    q.Bind(1, token_hash);
    return q.OneRow(IntColumn);
  }

  // ---- passwords and sessions ----

  Status SetPasswordHash(UserId user, const std::string& hash) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(auto q,
                            conn_.Prepare("UPDATE users SET password_hash = ? WHERE id = ?"));
    q.Bind(1, hash).Bind(2, user.value);
    CORRAL_RETURN_IF_ERROR(q.Run());
    if (sqlite3_changes(conn_.get()) == 0)
      return NotFound(fmt::format("no user with id {}", user.value));
    return Status::Ok();
  }

  Result<std::optional<std::string>> GetPasswordHash(UserId user) override {
    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.Prepare("SELECT password_hash FROM users WHERE id = ?"));
    q.Bind(1, user.value);
    CORRAL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row || q.IsNull(0)) return std::optional<std::string>();
    return std::optional<std::string>(std::string(q.Text(0)));
  }

  Status InsertSession(const Session& session) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, "
                              "last_seen, expires_at, token_id) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    q.Bind(1, session.id_hash)
        .Bind(2, session.user.value)
        .Bind(3, session.csrf_token)
        .Bind(4, ToMillis(session.created_at))
        .Bind(5, ToMillis(session.last_seen))
        .Bind(6, ToMillis(session.expires_at))
        .Bind(7, session.token_id);
    Status s = q.Run();
    if (!s.ok() && q.last_code() == SQLITE_CONSTRAINT_FOREIGNKEY)
      return NotFound(session.token_id ? fmt::format("no user with id {} or no token with id {}",
                                                     session.user.value, *session.token_id)
                                       : fmt::format("no user with id {}", session.user.value));
    return s;
  }

  Result<std::optional<Session>> FindSession(const std::string& id_hash) override {
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("SELECT id_hash, user_id, csrf_token, created_at, last_seen, "
                              "expires_at, token_id FROM sessions WHERE id_hash = ?"));
    q.Bind(1, id_hash);
    return q.OneRow(ReadSession);
  }

  Status TouchSession(const std::string& id_hash, TimePoint last_seen) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(auto q,
                            conn_.Prepare("UPDATE sessions SET last_seen = ? WHERE id_hash = ?"));
    q.Bind(1, ToMillis(last_seen)).Bind(2, id_hash);
    return q.Run();
  }

  Status DeleteSession(const std::string& id_hash) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.Prepare("DELETE FROM sessions WHERE id_hash = ?"));
    q.Bind(1, id_hash);
    return q.Run();
  }

  Result<int64_t> DeleteUserSessions(UserId user) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.Prepare("DELETE FROM sessions WHERE user_id = ?"));
    q.Bind(1, user.value);
    CORRAL_RETURN_IF_ERROR(q.Run());
    return static_cast<int64_t>(sqlite3_changes(conn_.get()));
  }

  Result<int64_t> DeleteExpiredSessions(TimePoint now, TimePoint idle_before) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("DELETE FROM sessions WHERE expires_at <= ? OR last_seen < ?"));
    q.Bind(1, ToMillis(now)).Bind(2, ToMillis(idle_before));
    CORRAL_RETURN_IF_ERROR(q.Run());
    return static_cast<int64_t>(sqlite3_changes(conn_.get()));
  }

  // ---- jobs ----

  Status InsertJob(Job& job) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    return InsertJobRows(job);
  }

  Status UpdateJob(const Job& job) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(auto q,
                            conn_.Prepare("UPDATE jobs SET state = ?, reason = ?, ended_at = ?, "
                                          "cancel_requested = ?, attempts = ? WHERE id = ?"));
    q.Bind(1, JobStateName(job.state))
        .Bind(2, job.reason)
        .Bind(3, OptionalMillis(job.ended_at))
        .Bind(4, int64_t{job.cancel_requested});
    std::string attempts = EncodeAttempts(job.attempts);
    if (attempts.empty()) {
      q.BindNull(5);
    } else {
      q.Bind(5, attempts);
    }
    q.Bind(6, job.id.value);
    CORRAL_RETURN_IF_ERROR(q.Run());
    if (sqlite3_changes(conn_.get()) == 0) {
      return NotFound(fmt::format("no job with id {}", job.id.value));
    }
    return Status::Ok();
  }

  Result<std::optional<Job>> GetJob(JobId id) override {
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare(fmt::format("SELECT {} FROM jobs WHERE id = ?", kJobColumns)));
    q.Bind(1, id.value);
    return q.OneRow(ReadJob);
  }

  Result<JobPage> ListJobs(const JobQuery& query) override {
    if (query.limit < 1) return InvalidArgument("limit", "must be >= 1");
    // Jobs in active states are few however long the history is, but SQLite cannot know that:
    // with an owner and several states it walks the owner's whole history newest first. Asking
    // only for active states, read them through the state index and sort the few found.
    const bool only_active =
        !query.states.empty() && std::none_of(query.states.begin(), query.states.end(),
                                              [](JobState s) { return IsTerminal(s); });
    std::string sql = fmt::format("SELECT {} FROM jobs{} WHERE 1", kJobColumns,
                                  only_active ? " INDEXED BY jobs_by_state" : "");
    std::vector<SqlValue> values;
    if (query.owner) {
      sql += " AND owner_id = ?";
      values.emplace_back(query.owner->value);
    }
    if (!query.states.empty()) {
      sql += " AND state IN (";
      for (size_t i = 0; i < query.states.size(); ++i) {
        sql += i == 0 ? "?" : ", ?";
        values.emplace_back(std::string(JobStateName(query.states[i])));
      }
      sql += ")";
    }
    if (query.name) {
      sql += " AND name = ?";
      values.emplace_back(*query.name);
    }
    if (query.queue) {
      sql += " AND queue = ?";
      values.emplace_back(*query.queue);
    }
    for (const auto& [key, value] : query.labels) {
      // A rare label is best as the driving list of ids; a common one as a per-row check while
      // walking another index newest first (a list of 10,000s of ids would be built and sorted
      // for every page). SQLite's planner cannot tell the two apart, so look first.
      CORRAL_ASSIGN_OR_RETURN(bool rare, IsRareLabel(key, value));
      sql += rare ? " AND id IN (SELECT job_id FROM job_labels WHERE key = ? AND value = ?)"
                  : " AND EXISTS (SELECT 1 FROM job_labels l WHERE l.job_id = jobs.id AND "
                    "l.key = ? AND l.value = ?)";
      values.emplace_back(key);
      values.emplace_back(value);
    }
    if (query.after_id > 0) {
      sql += " AND id < ?";
      values.emplace_back(query.after_id);
    }
    sql += " ORDER BY id DESC LIMIT ?";
    // One row more than asked says whether another page exists.
    values.emplace_back(int64_t{query.limit} + 1);

    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.PrepareDynamic(sql));
    BindAll(q, values);
    JobPage page;
    CORRAL_ASSIGN_OR_RETURN(bool more, q.AppendRows(page.jobs, query.limit, ReadJob));
    if (more) page.next_cursor = page.jobs.back().id.value;
    return page;
  }

  Result<std::map<JobState, int64_t>> CountJobsByState() override {
    // Walks the (state, id) index only.
    CORRAL_ASSIGN_OR_RETURN(auto q,
                            conn_.Prepare("SELECT state, COUNT(*) FROM jobs GROUP BY state"));
    std::map<JobState, int64_t> out;
    while (true) {
      CORRAL_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      if (auto state = ParseJobState(q.Text(0))) out[*state] += q.Int(1);
    }
    return out;
  }

  Result<std::vector<Job>> LoadActiveJobs() override {
    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.Prepare(load_active_jobs_sql_));
    return q.Rows(ReadJob);
  }

  // ---- events ----

  Result<int64_t> AppendEvent(const StoredEvent& event) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("INSERT INTO events (time, job_id, owner_id, type, message) "
                              "VALUES (?, ?, ?, ?, ?)"));
    q.Bind(1, ToMillis(event.time))
        .Bind(2, event.job.value)
        .Bind(3, event.owner.value)
        .Bind(4, event.type)
        .Bind(5, event.message);
    CORRAL_RETURN_IF_ERROR(q.Run());
    return static_cast<int64_t>(sqlite3_last_insert_rowid(conn_.get()));
  }

  Result<std::vector<StoredEvent>> EventsAfter(int64_t seq, int limit,
                                               std::optional<UserId> owner) override {
    if (limit < 1) return InvalidArgument("limit", "must be >= 1");
    CORRAL_ASSIGN_OR_RETURN(
        auto q,
        conn_.Prepare(fmt::format("SELECT seq, time, job_id, owner_id, type, message FROM events "
                                  "WHERE seq > ?{} ORDER BY seq LIMIT ?",
                                  owner ? " AND owner_id = ?" : "")));
    q.Bind(1, seq);
    if (owner) {
      q.Bind(2, owner->value).Bind(3, limit);
    } else {
      q.Bind(2, limit);
    }
    return q.Rows([](const Query& row) {
      return StoredEvent{row.Int(0),         FromMillis(row.Int(1)),   JobId(row.Int(2)),
                         UserId(row.Int(3)), std::string(row.Text(4)), std::string(row.Text(5))};
    });
  }

  // ---- experiments, trials, metrics ----

  Status InsertExperiment(Experiment& e) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("INSERT INTO experiments (owner_id, name, spec, state, "
                              "sampler_state, created_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    q.Bind(1, e.owner.value)
        .Bind(2, e.name)
        .Bind(3, e.spec)
        .Bind(4, e.state)
        .Bind(5, e.sampler_state)
        .Bind(6, ToMillis(e.created_at))
        .Bind(7, OptionalMillis(e.ended_at));
    CORRAL_RETURN_IF_ERROR(q.Run());
    e.id = ExperimentId(sqlite3_last_insert_rowid(conn_.get()));
    return Status::Ok();
  }

  Status UpdateExperiment(const Experiment& e) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.Prepare("UPDATE experiments SET state = ?, "
                                                  "sampler_state = ?, ended_at = ? WHERE id = ?"));
    q.Bind(1, e.state)
        .Bind(2, e.sampler_state)
        .Bind(3, OptionalMillis(e.ended_at))
        .Bind(4, e.id.value);
    CORRAL_RETURN_IF_ERROR(q.Run());
    if (sqlite3_changes(conn_.get()) == 0) {
      return NotFound(fmt::format("no experiment with id {}", e.id.value));
    }
    return Status::Ok();
  }

  Result<std::optional<Experiment>> GetExperiment(ExperimentId id) override {
    CORRAL_ASSIGN_OR_RETURN(
        auto q,
        conn_.Prepare(fmt::format("SELECT {} FROM experiments WHERE id = ?", kExperimentColumns)));
    q.Bind(1, id.value);
    return q.OneRow(ReadExperiment);
  }

  Result<ExperimentPage> ListExperiments(const ExperimentQuery& query) override {
    if (query.limit < 1) return InvalidArgument("limit", "must be >= 1");
    // Unset filters become conditions that always hold, so one cached statement serves all.
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare(fmt::format("SELECT {} FROM experiments WHERE (? OR owner_id = ?) "
                                          "AND (? OR id < ?) ORDER BY id DESC LIMIT ?",
                                          kExperimentColumns)));
    q.Bind(1, int64_t{!query.owner.has_value()})
        .Bind(2, query.owner ? query.owner->value : 0)
        .Bind(3, int64_t{query.after_id <= 0})
        .Bind(4, query.after_id)
        .Bind(5, int64_t{query.limit} + 1);
    ExperimentPage page;
    CORRAL_ASSIGN_OR_RETURN(bool more, q.AppendRows(page.experiments, query.limit, ReadExperiment));
    if (more) page.next_cursor = page.experiments.back().id.value;
    return page;
  }

  Result<std::vector<Experiment>> LoadActiveExperiments() override {
    CORRAL_ASSIGN_OR_RETURN(
        auto q,
        conn_.Prepare(fmt::format("SELECT {} FROM experiments WHERE ended_at IS NULL ORDER BY id",
                                  kExperimentColumns)));
    return q.Rows(ReadExperiment);
  }

  Status UpsertTrial(const Trial& t) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare(
                    "INSERT INTO trials (experiment_id, number, job_id, params, state, objective) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (experiment_id, number) DO UPDATE SET "
                    "job_id = excluded.job_id, params = excluded.params, state = excluded.state, "
                    "objective = excluded.objective"));
    q.Bind(1, t.experiment.value).Bind(2, t.number);
    if (t.job.valid()) {
      q.Bind(3, t.job.value);
    } else {
      q.BindNull(3);
    }
    q.Bind(4, EncodeParams(t.params)).Bind(5, t.state).Bind(6, t.objective);
    Status s = q.Run();
    if (!s.ok() && q.last_code() == SQLITE_CONSTRAINT_FOREIGNKEY) {
      return NotFound(fmt::format("no experiment with id {}", t.experiment.value));
    }
    return s;
  }

  Result<std::vector<Trial>> ListTrials(ExperimentId experiment) override {
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("SELECT number, job_id, params, state, objective FROM trials "
                              "WHERE experiment_id = ? ORDER BY number"));
    q.Bind(1, experiment.value);
    return q.Rows([experiment](const Query& row) -> Result<Trial> {
      Trial t;
      t.experiment = experiment;
      t.number = static_cast<int>(row.Int(0));
      if (!row.IsNull(1)) t.job = JobId(row.Int(1));
      CORRAL_ASSIGN_OR_RETURN(t.params, DecodeParams(row.Text(2)));
      t.state = std::string(row.Text(3));
      if (!row.IsNull(4)) t.objective = row.Double(4);
      return t;
    });
  }

  Status SetTrialSearchState(ExperimentId experiment, int number,
                             std::string_view record) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("UPDATE trials SET search_state = ? WHERE experiment_id = ? AND "
                              "number = ?"));
    q.Bind(1, record).Bind(2, experiment.value).Bind(3, number);
    CORRAL_RETURN_IF_ERROR(q.Run());
    if (sqlite3_changes(conn_.get()) == 0)
      return NotFound(fmt::format("no trial {} in experiment {}", number, experiment.value));
    return Status::Ok();
  }

  Result<std::vector<std::string>> ListTrialSearchStates(ExperimentId experiment) override {
    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.Prepare("SELECT search_state FROM trials WHERE "
                                                  "experiment_id = ? ORDER BY number"));
    q.Bind(1, experiment.value);
    // A trial that never saved one reads as "" (Text of NULL is empty).
    return q.Rows(TextColumn);
  }

  Status AppendMetrics(std::span<const MetricPoint> points) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    std::optional<int64_t> first_rowid;
    for (const MetricPoint& p : points) {
      Status s = InsertMetric(p);
      if (!s.ok()) {
        if (!first_rowid) return s;
        // Rowids are handed out in order inside the one write transaction, so the batch's rows
        // are exactly those from its first rowid on.
        return Undo(std::move(s), "DELETE FROM metrics WHERE rowid >= ?", *first_rowid);
      }
      if (!first_rowid) first_rowid = sqlite3_last_insert_rowid(conn_.get());
    }
    return Status::Ok();
  }

  Result<std::vector<MetricPoint>> ListMetrics(JobId job,
                                               const std::optional<std::string>& name) override {
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("SELECT name, step, value, time FROM metrics WHERE job_id = ? "
                              "AND (? OR name = ?) ORDER BY name, step, rowid"));
    q.Bind(1, job.value).Bind(2, int64_t{!name.has_value()}).Bind(3, name.value_or(""));
    return q.Rows([job](const Query& row) {
      MetricPoint p;
      p.job = job;
      p.name = std::string(row.Text(0));
      p.step = row.Int(1);
      p.value = row.IsNull(2) ? std::numeric_limits<double>::quiet_NaN() : row.Double(2);
      p.time = FromMillis(row.Int(3));
      return p;
    });
  }

  // ---- notebooks, SSH keys ----

  Status InsertNotebook(Notebook& n) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("INSERT INTO notebooks (owner_id, owner_name, name, state, message, "
                              "gpus, environment, idle_timeout_ms, created_at) VALUES (?, ?, ?, ?, "
                              "?, ?, ?, ?, ?)"));
    q.Bind(1, n.owner.value)
        .Bind(2, n.owner_name)
        .Bind(3, n.name)
        .Bind(4, n.state)
        .Bind(5, n.message)
        .Bind(6, n.gpus)
        .Bind(7, n.environment)
        .Bind(8, static_cast<int64_t>(n.idle_timeout.count()))
        .Bind(9, ToMillis(n.created_at));
    CORRAL_RETURN_IF_ERROR(q.Run());
    n.id = NotebookId(sqlite3_last_insert_rowid(conn_.get()));
    return UpdateNotebook(n);
  }

  Status UpdateNotebook(const Notebook& n) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("UPDATE notebooks SET name = ?, state = ?, message = ?, job_id = ?, "
                              "attempt = ?, port = ?, ssh_port = ?, ready_at = ?, ended_at = ? "
                              "WHERE id = ?"));
    q.Bind(1, n.name)
        .Bind(2, n.state)
        .Bind(3, n.message)
        .Bind(4, n.job.valid() ? std::optional<int64_t>(n.job.value) : std::nullopt)
        .Bind(5, n.attempt)
        .Bind(6, n.port)
        .Bind(7, n.ssh_port)
        .Bind(8, OptionalMillis(n.ready_at))
        .Bind(9, OptionalMillis(n.ended_at))
        .Bind(10, n.id.value);
    CORRAL_RETURN_IF_ERROR(q.Run());
    if (sqlite3_changes(conn_.get()) == 0)
      return NotFound(fmt::format("no notebook with id {}", n.id.value));
    return Status::Ok();
  }

  Result<std::optional<Notebook>> GetNotebook(NotebookId id) override {
    CORRAL_ASSIGN_OR_RETURN(
        auto q,
        conn_.Prepare(fmt::format("SELECT {} FROM notebooks WHERE id = ?", kNotebookColumns)));
    q.Bind(1, id.value);
    return q.OneRow(ReadNotebook);
  }

  Result<std::vector<Notebook>> ListNotebooks(std::optional<UserId> owner, bool active_only,
                                              int limit) override {
    std::string sql = fmt::format("SELECT {} FROM notebooks WHERE 1", kNotebookColumns);
    if (owner) sql += " AND owner_id = ?";
    if (active_only) sql += " AND ended_at IS NULL";
    sql += " ORDER BY id DESC LIMIT ?";
    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.Prepare(sql));
    int index = 1;
    if (owner) q.Bind(index++, owner->value);
    q.Bind(index, limit);
    return q.Rows(ReadNotebook);
  }

  Status AddSshKey(SshKey& key) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("INSERT INTO ssh_keys (user_id, key, created_at) VALUES (?, ?, ?)"));
    q.Bind(1, key.user.value).Bind(2, key.key).Bind(3, ToMillis(key.created_at));
    CORRAL_RETURN_IF_ERROR(q.Run());
    key.id = sqlite3_last_insert_rowid(conn_.get());
    return Status::Ok();
  }

  Result<std::vector<SshKey>> ListSshKeys(UserId user) override {
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("SELECT id, user_id, key, created_at FROM ssh_keys WHERE user_id = ? "
                              "ORDER BY id"));
    q.Bind(1, user.value);
    return q.Rows([](const Query& row) {
      return SshKey{row.Int(0), UserId(row.Int(1)), std::string(row.Text(2)),
                    FromMillis(row.Int(3))};
    });
  }

  Status DeleteSshKey(UserId user, int64_t id) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(auto q,
                            conn_.Prepare("DELETE FROM ssh_keys WHERE id = ? AND user_id = ?"));
    q.Bind(1, id).Bind(2, user.value);
    CORRAL_RETURN_IF_ERROR(q.Run());
    if (sqlite3_changes(conn_.get()) == 0) return NotFound(fmt::format("no SSH key {}", id));
    return Status::Ok();
  }

  // ---- settings ----

  // ---- workflows ----

  static constexpr const char* kWorkflowColumns =
      "id, name, owner_id, phase, message, spec, state, created_at, started_at, finished_at";

  static WorkflowRow ReadWorkflow(const sqlite::Query& q) {
    WorkflowRow w;
    w.id = q.Int(0);
    w.name = std::string(q.Text(1));
    w.owner = UserId(q.Int(2));
    w.phase = std::string(q.Text(3));
    w.message = std::string(q.Text(4));
    w.spec = std::string(q.Text(5));
    w.state = std::string(q.Text(6));
    w.created_at = FromMillis(q.Int(7));
    if (!q.IsNull(8)) w.started_at = FromMillis(q.Int(8));
    if (!q.IsNull(9)) w.finished_at = FromMillis(q.Int(9));
    return w;
  }

  Status InsertWorkflow(WorkflowRow& w) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("INSERT INTO workflows (name, owner_id, phase, message, spec, state, "
                              "created_at, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
                              "?, ?)"));
    q.Bind(1, w.name)
        .Bind(2, w.owner.value)
        .Bind(3, w.phase)
        .Bind(4, w.message)
        .Bind(5, w.spec)
        .Bind(6, w.state)
        .Bind(7, ToMillis(w.created_at))
        .Bind(8, OptionalMillis(w.started_at))
        .Bind(9, OptionalMillis(w.finished_at));
    CORRAL_RETURN_IF_ERROR(q.Run());
    w.id = sqlite3_last_insert_rowid(conn_.get());
    return Status::Ok();
  }

  Status UpdateWorkflow(const WorkflowRow& w) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(auto q,
                            conn_.Prepare("UPDATE workflows SET phase = ?, message = ?, state = ?, "
                                          "started_at = ?, finished_at = ? WHERE id = ?"));
    q.Bind(1, w.phase)
        .Bind(2, w.message)
        .Bind(3, w.state)
        .Bind(4, OptionalMillis(w.started_at))
        .Bind(5, OptionalMillis(w.finished_at))
        .Bind(6, w.id);
    CORRAL_RETURN_IF_ERROR(q.Run());
    if (sqlite3_changes(conn_.get()) == 0) {
      return NotFound(fmt::format("no workflow with id {}", w.id));
    }
    return Status::Ok();
  }

  Result<std::optional<WorkflowRow>> GetWorkflow(int64_t id) override {
    CORRAL_ASSIGN_OR_RETURN(
        auto q,
        conn_.Prepare(fmt::format("SELECT {} FROM workflows WHERE id = ?", kWorkflowColumns)));
    q.Bind(1, id);
    return q.OneRow(ReadWorkflow);
  }

  Result<std::vector<WorkflowRow>> ListWorkflows(std::optional<UserId> owner,
                                                 const std::string& phase, int limit) override {
    if (limit < 1) return InvalidArgument("limit", "must be >= 1");
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare(fmt::format("SELECT {} FROM workflows WHERE (? OR owner_id = ?) AND "
                                          "(? OR phase = ?) ORDER BY id DESC LIMIT ?",
                                          kWorkflowColumns)));
    q.Bind(1, int64_t{!owner.has_value()})
        .Bind(2, owner ? owner->value : 0)
        .Bind(3, int64_t{phase.empty()})
        .Bind(4, phase)
        .Bind(5, int64_t{limit});
    return q.Rows(ReadWorkflow);
  }

  Result<std::vector<WorkflowRow>> LoadActiveWorkflows() override {
    CORRAL_ASSIGN_OR_RETURN(
        auto q,
        conn_.Prepare(fmt::format("SELECT {} FROM workflows WHERE finished_at IS NULL ORDER BY id",
                                  kWorkflowColumns)));
    return q.Rows(ReadWorkflow);
  }

  Status DeleteWorkflow(int64_t id) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(auto nodes,
                            conn_.Prepare("DELETE FROM workflow_nodes WHERE workflow_id = ?"));
    nodes.Bind(1, id);
    CORRAL_RETURN_IF_ERROR(nodes.Run());
    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.Prepare("DELETE FROM workflows WHERE id = ?"));
    q.Bind(1, id);
    CORRAL_RETURN_IF_ERROR(q.Run());
    if (sqlite3_changes(conn_.get()) == 0) {
      return NotFound(fmt::format("no workflow with id {}", id));
    }
    return Status::Ok();
  }

  Status PutWorkflowNodes(int64_t workflow, std::span<const WorkflowNodeRow> nodes) override {
    if (nodes.empty()) return Status::Ok();
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    for (const auto& n : nodes) {
      // A statement is reset when its Query goes, so each row takes the cached one afresh.
      CORRAL_ASSIGN_OR_RETURN(
          auto q, conn_.Prepare("INSERT INTO workflow_nodes (workflow_id, name, data) VALUES (?, "
                                "?, ?) ON CONFLICT (workflow_id, name) DO UPDATE SET data = "
                                "excluded.data"));
      q.Bind(1, workflow).Bind(2, n.name).Bind(3, n.data);
      CORRAL_RETURN_IF_ERROR(q.Run());
    }
    return Status::Ok();
  }

  Status DeleteWorkflowNodes(int64_t workflow, std::span<const std::string> names) override {
    if (names.empty()) return Status::Ok();
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    for (const auto& n : names) {
      CORRAL_ASSIGN_OR_RETURN(
          auto q, conn_.Prepare("DELETE FROM workflow_nodes WHERE workflow_id = ? AND name = ?"));
      q.Bind(1, workflow).Bind(2, n);
      CORRAL_RETURN_IF_ERROR(q.Run());
    }
    return Status::Ok();
  }

  Result<std::vector<WorkflowNodeRow>> ListWorkflowNodes(int64_t workflow) override {
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("SELECT name, data FROM workflow_nodes WHERE workflow_id = ?"));
    q.Bind(1, workflow);
    return q.Rows([](const Query& row) {
      return WorkflowNodeRow{std::string(row.Text(0)), std::string(row.Text(1))};
    });
  }

  Status PutWorkflowTemplate(const WorkflowTemplateRow& t) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("INSERT INTO workflow_templates (kind, name, owner_id, spec, "
                              "created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, name) DO "
                              "UPDATE SET owner_id = excluded.owner_id, spec = excluded.spec, "
                              "created_at = excluded.created_at"));
    q.Bind(1, t.kind)
        .Bind(2, t.name)
        .Bind(3, t.owner.value)
        .Bind(4, t.spec)
        .Bind(5, ToMillis(t.created_at));
    return q.Run();
  }

  static WorkflowTemplateRow ReadWorkflowTemplate(const sqlite::Query& q) {
    WorkflowTemplateRow t;
    t.kind = std::string(q.Text(0));
    t.name = std::string(q.Text(1));
    t.owner = UserId(q.Int(2));
    t.spec = std::string(q.Text(3));
    t.created_at = FromMillis(q.Int(4));
    return t;
  }

  Result<std::vector<WorkflowTemplateRow>> ListWorkflowTemplates() override {
    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.Prepare("SELECT kind, name, owner_id, spec, created_at "
                                                  "FROM workflow_templates ORDER BY kind, name"));
    return q.Rows(ReadWorkflowTemplate);
  }

  Result<std::optional<WorkflowTemplateRow>> GetWorkflowTemplate(const std::string& kind,
                                                                 const std::string& name) override {
    CORRAL_ASSIGN_OR_RETURN(auto q,
                            conn_.Prepare("SELECT kind, name, owner_id, spec, created_at FROM "
                                          "workflow_templates WHERE kind = ? AND name = ?"));
    q.Bind(1, kind).Bind(2, name);
    return q.OneRow(ReadWorkflowTemplate);
  }

  Status DeleteWorkflowTemplate(const std::string& kind, const std::string& name) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("DELETE FROM workflow_templates WHERE kind = ? AND name = ?"));
    q.Bind(1, kind).Bind(2, name);
    CORRAL_RETURN_IF_ERROR(q.Run());
    if (sqlite3_changes(conn_.get()) == 0) {
      return NotFound(fmt::format("no {} named '{}'", kind, name));
    }
    return Status::Ok();
  }

  Result<std::optional<std::string>> GetWorkflowMemo(const std::string& cache,
                                                     const std::string& key) override {
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("SELECT outputs FROM workflow_memo WHERE cache = ? AND key = ?"));
    q.Bind(1, cache).Bind(2, key);
    return q.OneRow(TextColumn);
  }

  Status PutWorkflowMemo(const std::string& cache, const std::string& key,
                         const std::string& outputs, TimePoint now) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("INSERT INTO workflow_memo (cache, key, outputs, created_at) VALUES "
                              "(?, ?, ?, ?) ON CONFLICT (cache, key) DO UPDATE SET outputs = "
                              "excluded.outputs, created_at = excluded.created_at"));
    q.Bind(1, cache).Bind(2, key).Bind(3, outputs).Bind(4, ToMillis(now));
    return q.Run();
  }

  Result<std::optional<std::string>> GetSetting(const std::string& key) override {
    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.Prepare("SELECT value FROM settings WHERE key = ?"));
    q.Bind(1, key);
    return q.OneRow(TextColumn);
  }

  Status PutSetting(const std::string& key, const std::string& value) override {
    CORRAL_RETURN_IF_ERROR(BeginWrite());
    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.Prepare("INSERT INTO settings (key, value) VALUES (?, ?) "
                                                  "ON CONFLICT (key) DO UPDATE SET value = "
                                                  "excluded.value"));
    q.Bind(1, key).Bind(2, value);
    return q.Run();
  }

  // ---- durability ----

  Status Flush() override {
    if (read_only_) return Status::Ok();
    if (!failed_.ok()) {
      if (conn_.in_transaction()) (void)RunCached("ROLLBACK");
      txn_open_ = false;
      return failed_;
    }
    NoteLostTransaction();
    if (!lost_.ok()) {
      // Part of this group is gone already: drop the rest too, so that a failed Flush always
      // means "nothing since the last good Flush was stored".
      if (conn_.in_transaction()) (void)RunCached("ROLLBACK");
      txn_open_ = false;
      failed_ = std::exchange(lost_, Status::Ok());
      return failed_;
    }
    if (!txn_open_) return Status::Ok();
    Status committed = RunCached("COMMIT");
    if (!committed.ok() && conn_.in_transaction()) (void)RunCached("ROLLBACK");
    txn_open_ = false;
    failed_ = committed;
    return committed;
  }

  bool HasUncommittedWrites() const override { return txn_open_; }

 private:
  template <class Key>
  Result<std::optional<User>> FindUser(const std::string& sql, const Key& key) {
    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.Prepare(sql));
    q.Bind(1, key);
    return q.OneRow(ReadUser);
  }

  static constexpr const char* kTokenSelect =
      "SELECT t.id, t.user_id, u.name, t.label, t.created_at FROM tokens t JOIN users u ON u.id = "
      "t.user_id";

  static TokenInfo ReadToken(const sqlite::Query& q) {
    TokenInfo t;
    t.id = q.Int(0);
    t.user = UserId(q.Int(1));
    t.user_name = std::string(q.Text(2));
    t.label = std::string(q.Text(3));
    t.created_at = FromMillis(q.Int(4));
    return t;
  }

  // Whether at most kRareLabelJobs jobs carry the label; counts no further than that.
  Result<bool> IsRareLabel(const std::string& key, const std::string& value) {
    CORRAL_ASSIGN_OR_RETURN(
        auto q, conn_.Prepare("SELECT count(*) FROM (SELECT 1 FROM job_labels WHERE key = ? AND "
                              "value = ? LIMIT ?)"));
    q.Bind(1, key).Bind(2, value).Bind(3, kRareLabelJobs + 1);
    CORRAL_ASSIGN_OR_RETURN(bool row, q.Step());
    return row && q.Int(0) <= kRareLabelJobs;
  }

  Status InsertJobRows(Job& job) {
    CORRAL_ASSIGN_OR_RETURN(
        auto q,
        conn_.Prepare("INSERT INTO jobs (owner_id, owner_name, name, queue, state, reason, "
                      "submitted_at, ended_at, cancel_requested, spec, attempts, parent_kind, "
                      "parent_id, parent_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                      "?, ?)"));
    q.Bind(1, job.owner.value)
        .Bind(2, job.owner_name)
        .Bind(3, job.spec.name)
        .Bind(4, job.spec.queue)
        .Bind(5, JobStateName(job.state))
        .Bind(6, job.reason)
        .Bind(7, ToMillis(job.submitted_at))
        .Bind(8, OptionalMillis(job.ended_at))
        .Bind(9, int64_t{job.cancel_requested})
        .Bind(10, EncodeJobSpec(job.spec));
    std::string attempts = EncodeAttempts(job.attempts);
    if (attempts.empty()) {
      q.BindNull(11);
    } else {
      q.Bind(11, attempts);
    }
    if (job.parent) {
      q.Bind(12, ParentKindName(job.parent->kind))
          .Bind(13, job.parent->id)
          .Bind(14, job.parent->child_key);
    } else {
      q.BindNull(12).BindNull(13).BindNull(14);
    }
    CORRAL_RETURN_IF_ERROR(q.Run());
    JobId id(sqlite3_last_insert_rowid(conn_.get()));
    for (const auto& [key, value] : job.spec.labels) {
      CORRAL_ASSIGN_OR_RETURN(
          auto label,
          conn_.Prepare("INSERT INTO job_labels (job_id, key, value) VALUES (?, ?, ?)"));
      label.Bind(1, id.value).Bind(2, key).Bind(3, value);
      Status s = label.Run();
      if (!s.ok()) return Undo(std::move(s), "DELETE FROM jobs WHERE id = ?", id.value);
    }
    job.id = id;
    return Status::Ok();
  }

  Status InsertMetric(const MetricPoint& p) {
    CORRAL_ASSIGN_OR_RETURN(
        auto q,
        conn_.Prepare(
            "INSERT INTO metrics (job_id, name, step, value, time) VALUES (?, ?, ?, ?, ?)"));
    // SQLite would store NaN as NULL anyway; saying so keeps the round trip explicit.
    q.Bind(1, p.job.value).Bind(2, p.name).Bind(3, p.step);
    if (std::isnan(p.value)) {
      q.BindNull(4);
    } else {
      q.Bind(4, p.value);
    }
    q.Bind(5, ToMillis(p.time));
    return q.Run();
  }

  Status RunCached(const char* sql) {
    CORRAL_ASSIGN_OR_RETURN(auto q, conn_.Prepare(sql));
    return q.Run();
  }

  // SQLite rolls a transaction back by itself after some errors (disk full, I/O error). Writes
  // made in it are gone; remember that, so the next Flush reports it instead of acknowledging.
  // Set by the first failed Flush and returned by every later one: the caller's memory holds
  // writes the store dropped, so nothing written after them may be acknowledged either (a later
  // commit would store a state that never existed). Reopening the store recovers.
  Status failed_;

  void NoteLostTransaction() {
    if (txn_open_ && !conn_.in_transaction()) {
      txn_open_ = false;
      if (lost_.ok()) {
        lost_ = Internal(
            "sqlite: the open transaction was rolled back after an error; writes "
            "since the last Flush were lost");
      }
    }
  }

  // Every write goes through here: it refuses writes on a read-only store and opens the group
  // transaction that the next Flush commits.
  Status BeginWrite() {
    if (read_only_) return FailedPrecondition("store was opened read-only");
    NoteLostTransaction();
    if (txn_open_) return Status::Ok();
    CORRAL_RETURN_IF_ERROR(RunCached("BEGIN IMMEDIATE"));
    txn_open_ = true;
    return Status::Ok();
  }

  // Takes back the first rows of a multi-row write whose later rows failed, so that the write
  // leaves nothing behind. (A SAVEPOINT would do the same but journals every page it touches,
  // which made each job insert several times slower.) If even that fails, the group is poisoned
  // and the next Flush reports it.
  Status Undo(Status cause, const char* sql, int64_t arg) {
    NoteLostTransaction();
    if (!txn_open_) return cause;
    auto q = conn_.Prepare(sql);
    Status undone = q.ok() ? q->Bind(1, arg).Run() : q.status();
    if (!undone.ok() && lost_.ok()) {
      lost_ =
          Internal(fmt::format("sqlite: could not take back a failed write ({}); the writes "
                               "since the last Flush are discarded",
                               undone.message()));
    }
    return cause;
  }

  Connection conn_;
  bool read_only_;
  bool txn_open_ = false;
  Status lost_;
  std::string load_active_jobs_sql_;
};

Status Configure(Connection& conn, std::initializer_list<const char*> pragmas) {
  for (const char* pragma : pragmas) CORRAL_RETURN_IF_ERROR(conn.Exec(pragma));
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  CORRAL_ASSIGN_OR_RETURN(
      Connection conn,
      Connection::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX));
  sqlite3_busy_timeout(conn.get(), kBusyTimeoutMs);
  {
    CORRAL_ASSIGN_OR_RETURN(auto q, conn.Prepare("PRAGMA journal_mode = WAL"));
    CORRAL_ASSIGN_OR_RETURN(bool row, q.Step());
    std::string mode = row ? std::string(q.Text(0)) : "";
    // An in-memory database reports "memory": it has nothing to be durable about.
    if (mode != "wal" && mode != "memory") {
      return Internal(
          fmt::format("sqlite: {} could not switch to WAL mode (got \"{}\")", path, mode));
    }
  }
  // synchronous = FULL: a commit is on disk (fsync of the WAL) before Flush returns.
  CORRAL_RETURN_IF_ERROR(Configure(conn, {"PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON",
                                          kCacheSize, kJournalSizeLimit}));
  CORRAL_RETURN_IF_ERROR(Migrate(conn));
  return std::unique_ptr<Store>(new SqliteStore(std::move(conn), /*read_only=*/false));
}

Result<std::unique_ptr<Store>> OpenSqliteStoreReadOnly(const std::string& path) {
  CORRAL_ASSIGN_OR_RETURN(Connection conn,
                          Connection::Open(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX));
  sqlite3_busy_timeout(conn.get(), kBusyTimeoutMs);
  CORRAL_RETURN_IF_ERROR(Configure(conn, {"PRAGMA query_only = ON", kCacheSize}));
  CORRAL_ASSIGN_OR_RETURN(int version, SchemaVersion(conn));
  if (version != LatestSchemaVersion()) {
    return FailedPrecondition(fmt::format(
        "{} has schema version {}, this build needs {}: open it read-write once to migrate", path,
        version, LatestSchemaVersion()));
  }
  return std::unique_ptr<Store>(new SqliteStore(std::move(conn), /*read_only=*/true));
}

}  // namespace corral::store
