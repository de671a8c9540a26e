#include "store/sqlite_handle.h"

#include <fmt/core.h>

#include <utility>

namespace corral::store::sqlite {
namespace {
// Dynamic SQL (ListJobs filter combinations) beyond this many cached shapes is prepared per use.
constexpr size_t kMaxCachedStatements = 256;
}  // namespace

Status Error(sqlite3* db, int rc, std::string_view what) {
  std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Internal(fmt::format("sqlite: {}: {} (code {})", what, detail, rc));
}

Query::Query(sqlite3* db, sqlite3_stmt* stmt, StatementPtr owned)
    : db_(db), stmt_(stmt), owned_(std::move(owned)) {}

Query::Query(Query&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      owned_(std::move(other.owned_)),
      bind_error_(other.bind_error_),
      last_code_(other.last_code_) {}

Query::~Query() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Query::NoteBind(int rc) {
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

Query& Query::Bind(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}
Query& Query::Bind(int index, double value) {
  NoteBind(sqlite3_bind_double(stmt_, index, value));
  return *this;
}
Query& Query::Bind(int index, std::string_view value) {
  // SQLITE_TRANSIENT: callers often bind temporaries that die before Step().
  NoteBind(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}
Query& Query::BindNull(int index) {
  NoteBind(sqlite3_bind_null(stmt_, index));
  return *this;
}

Result<bool> Query::Step() {
  if (bind_error_ != SQLITE_OK) {
    last_code_ = bind_error_;
    return Error(db_, bind_error_, fmt::format("bind for \"{}\"", sqlite3_sql(stmt_)));
  }
  last_code_ = sqlite3_step(stmt_);
  if (last_code_ == SQLITE_ROW) return true;
  if (last_code_ == SQLITE_DONE) return false;
  return Error(db_, last_code_, sqlite3_sql(stmt_));
}

Status Query::Run() {
  while (true) {
    CORRAL_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

std::string_view Query::Text(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text),
          static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
}

std::optional<int64_t> Query::OptionalInt(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int(col);
}

Result<Connection> Connection::Open(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Connection conn(raw);  // owns the handle even when opening failed
  if (rc != SQLITE_OK) return Error(raw, rc, fmt::format("open {}", path));
  sqlite3_extended_result_codes(raw, 1);
  return conn;
}

Result<StatementPtr> Connection::PrepareNew(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  StatementPtr stmt(raw);
  if (rc != SQLITE_OK) return Error(db_.get(), rc, fmt::format("prepare \"{}\"", sql));
  return stmt;
}

Result<Query> Connection::Prepare(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    CORRAL_ASSIGN_OR_RETURN(StatementPtr stmt, PrepareNew(sql));
    it = cache_.emplace(std::move(key), std::move(stmt)).first;
  }
  return Query(db_.get(), it->second.get());
}

Result<Query> Connection::PrepareDynamic(const std::string& sql) {
  if (cache_.size() < kMaxCachedStatements || cache_.contains(sql)) return Prepare(sql);
  CORRAL_ASSIGN_OR_RETURN(StatementPtr stmt, PrepareNew(sql));
  sqlite3_stmt* raw = stmt.get();
  return Query(db_.get(), raw, std::move(stmt));
}

Status Connection::Exec(const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string detail = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return Internal(fmt::format("sqlite: {}: {} (code {})", sql, detail, rc));
}

}  // namespace corral::store::sqlite
