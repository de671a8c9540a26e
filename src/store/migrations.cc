#include "store/migrations.h"

#include <fmt/core.h>

#include <array>
#include <string>

namespace corral::store {
namespace {

// Times are Unix milliseconds (INTEGER). Job specs and attempt histories are JSON text written by
// job_codec.cc; the columns beside them exist only to filter and order without decoding JSON.
constexpr const char* kInitialSchema = R"sql(
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE users (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT NOT NULL UNIQUE,
  role       TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE tokens (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  hash       TEXT NOT NULL UNIQUE,
  label      TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX tokens_by_user ON tokens(user_id);

-- owner_id has no foreign key on purpose: job history outlives accounts.
CREATE TABLE jobs (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  owner_id         INTEGER NOT NULL,
  owner_name       TEXT NOT NULL,
  name             TEXT NOT NULL,
  queue            TEXT NOT NULL,
  state            TEXT NOT NULL,
  reason           TEXT NOT NULL,
  submitted_at     INTEGER NOT NULL,
  ended_at         INTEGER,
  cancel_requested INTEGER NOT NULL,
  spec             TEXT NOT NULL,
  attempts         TEXT
);
CREATE INDEX jobs_by_owner ON jobs(owner_id, id);
CREATE INDEX jobs_by_state ON jobs(state, id);
CREATE INDEX jobs_by_name ON jobs(name, id);
CREATE INDEX jobs_by_queue ON jobs(queue, id);
CREATE INDEX jobs_by_submitted ON jobs(submitted_at);

-- The foreign key is deferred because an immediate one makes SQLite journal every label insert
-- (to undo it if the check failed); labels are only ever written right after their job.
CREATE TABLE job_labels (
  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  key    TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (job_id, key)
) WITHOUT ROWID;
CREATE INDEX job_labels_by_pair ON job_labels(key, value, job_id);

CREATE TABLE events (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  time     INTEGER NOT NULL,
  job_id   INTEGER NOT NULL,
  owner_id INTEGER NOT NULL,
  type     TEXT NOT NULL,
  message  TEXT NOT NULL
);
)sql";

// Trial parameters are JSON text written by experiment_codec.cc. A metric value is NULL when it
// was NaN (SQLite stores NaN as NULL).
constexpr const char* kExperiments = R"sql(
CREATE TABLE experiments (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  owner_id      INTEGER NOT NULL,
  name          TEXT NOT NULL,
  spec          TEXT NOT NULL,
  state         TEXT NOT NULL,
  sampler_state TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  ended_at      INTEGER
);
CREATE INDEX experiments_by_owner ON experiments(owner_id, id);
CREATE INDEX experiments_active ON experiments(id) WHERE ended_at IS NULL;

CREATE TABLE trials (
  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  number        INTEGER NOT NULL,
  job_id        INTEGER,
  params        TEXT NOT NULL,
  state         TEXT NOT NULL,
  objective     REAL,
  PRIMARY KEY (experiment_id, number)
) WITHOUT ROWID;
CREATE INDEX trials_by_job ON trials(job_id) WHERE job_id IS NOT NULL;

CREATE TABLE metrics (
  job_id INTEGER NOT NULL,
  name   TEXT NOT NULL,
  step   INTEGER NOT NULL,
  value  REAL,
  time   INTEGER NOT NULL
);
CREATE INDEX metrics_by_series ON metrics(job_id, name, step);
)sql";

// The search's record of each trial moves from the experiment's sampler_state into the trial's
// row (written per changed trial instead of the whole history per step).
constexpr const char* kTrialSearchState = R"sql(
ALTER TABLE trials ADD COLUMN search_state TEXT;
)sql";

// A user's event stream reads only their jobs' events.
constexpr const char* kEventsByOwner = R"sql(
CREATE INDEX events_by_owner ON events(owner_id, seq);
)sql";

// Browser sessions: users may have a password (an encoded argon2id hash); a session row is keyed
// by the SHA-256 of its cookie, so the database never holds a usable session id.
constexpr const char* kSessions = R"sql(
ALTER TABLE users ADD COLUMN password_hash TEXT;
CREATE TABLE sessions (
  id_hash    TEXT PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  token_id   INTEGER REFERENCES tokens(id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE INDEX sessions_by_token ON sessions(token_id) WHERE token_id IS NOT NULL;
)sql";

// The object that made a job (an experiment's trial, a workflow's step, ...), so that its owner
// can find its children after a restart.
constexpr const char* kJobParent = R"sql(
ALTER TABLE jobs ADD COLUMN parent_kind TEXT;
ALTER TABLE jobs ADD COLUMN parent_id INTEGER;
ALTER TABLE jobs ADD COLUMN parent_key TEXT;
CREATE INDEX jobs_by_parent ON jobs(parent_kind, parent_id, id) WHERE parent_kind IS NOT NULL;
)sql";

// The local account a user's jobs run as; '' keeps the default mapping.
constexpr const char* kUserUnixAccount = R"sql(
ALTER TABLE users ADD COLUMN unix_user TEXT NOT NULL DEFAULT '';
)sql";

// Notebooks (Jupyter servers run as interactive jobs) and the public keys users reach them by.
constexpr const char* kNotebooks = R"sql(
CREATE TABLE notebooks (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  owner_id        INTEGER NOT NULL REFERENCES users(id),
  owner_name      TEXT NOT NULL,
  name            TEXT NOT NULL,
  state           TEXT NOT NULL,
  message         TEXT NOT NULL DEFAULT '',
  gpus            INTEGER NOT NULL,
  environment     TEXT NOT NULL DEFAULT '',
  idle_timeout_ms INTEGER NOT NULL,
  job_id          INTEGER,
  attempt         INTEGER NOT NULL DEFAULT 0,
  port            INTEGER NOT NULL DEFAULT 0,
  ssh_port        INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  ready_at        INTEGER,
  ended_at        INTEGER
);
CREATE INDEX notebooks_by_owner ON notebooks(owner_id, id);
CREATE INDEX notebooks_active ON notebooks(id) WHERE ended_at IS NULL;
CREATE TABLE ssh_keys (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  key        TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX ssh_keys_by_user ON ssh_keys(user_id, id);
)sql";

// Workflow runs, their nodes (one row each), stored templates and the memoization cache.
constexpr const char* kWorkflows = R"sql(
CREATE TABLE workflows (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  owner_id INTEGER NOT NULL,
  phase TEXT NOT NULL,
  message TEXT NOT NULL DEFAULT '',
  spec TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER
);
CREATE INDEX workflows_active ON workflows(id) WHERE finished_at IS NULL;
CREATE TABLE workflow_nodes (
  workflow_id INTEGER NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (workflow_id, name)
) WITHOUT ROWID;
CREATE TABLE workflow_templates (
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  owner_id INTEGER NOT NULL,
  spec TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (kind, name)
);
CREATE TABLE workflow_memo (
  cache TEXT NOT NULL,
  key TEXT NOT NULL,
  outputs TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (cache, key)
);
)sql";

constexpr std::array<Migration, 9> kMigrations{{
    {"users, tokens, jobs, labels, events, settings", kInitialSchema},
    {"experiments, trials, metrics", kExperiments},
    {"trials.search_state", kTrialSearchState},
    {"events by owner", kEventsByOwner},
    {"passwords and browser sessions", kSessions},
    {"jobs.parent", kJobParent},
    {"users.unix_user", kUserUnixAccount},
    {"notebooks, ssh_keys", kNotebooks},
    {"workflows, nodes, templates, memo", kWorkflows},
}};

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }

Result<int> SchemaVersion(sqlite::Connection& conn) {
  CORRAL_ASSIGN_OR_RETURN(auto query, conn.Prepare("PRAGMA user_version"));
  CORRAL_ASSIGN_OR_RETURN(bool row, query.Step());
  if (!row) return Internal("sqlite: PRAGMA user_version returned no row");
  return static_cast<int>(query.Int(0));
}

Status MigrateTo(sqlite::Connection& conn, int target) {
  CORRAL_ASSIGN_OR_RETURN(int version, SchemaVersion(conn));
  if (version > LatestSchemaVersion()) {
    return FailedPrecondition(
        fmt::format("database schema version {} is newer than this build supports ({})", version,
                    LatestSchemaVersion()));
  }
  for (; version < target; ++version) {
    const Migration& step = kMigrations[static_cast<size_t>(version)];
    CORRAL_RETURN_IF_ERROR(conn.Exec("BEGIN IMMEDIATE"));
    Status applied = conn.Exec(step.sql);
    if (applied.ok()) {
      applied = conn.Exec(fmt::format("PRAGMA user_version = {}", version + 1).c_str());
    }
    if (applied.ok()) applied = conn.Exec("COMMIT");
    if (!applied.ok()) {
      if (conn.in_transaction()) (void)conn.Exec("ROLLBACK");
      return Status(applied.code(), fmt::format("migration to schema version {} ({}): {}",
                                                version + 1, step.description, applied.message()));
    }
  }
  return Status::Ok();
}

}  // namespace corral::store
