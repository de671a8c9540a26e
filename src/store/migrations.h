#pragma once

#include <span>

#include "common/status.h"
#include "store/sqlite_handle.h"

namespace corral::store {

// One step of the schema's history. Step i (0-based) brings a database from user_version i to
// i + 1. Steps are append-only: a released step is never edited, a change is a new step.
struct Migration {
  const char* description;
  const char* sql;
};

std::span<const Migration> Migrations();
inline int LatestSchemaVersion() { return static_cast<int>(Migrations().size()); }

// Applies the missing steps up to `target` (the latest by default), each in its own transaction
// together with its PRAGMA user_version bump. kFailedPrecondition for a database newer than this
// build knows.
Status MigrateTo(sqlite::Connection& conn, int target);
inline Status Migrate(sqlite::Connection& conn) { return MigrateTo(conn, LatestSchemaVersion()); }

// The database's PRAGMA user_version.
Result<int> SchemaVersion(sqlite::Connection& conn);

}  // namespace corral::store
