#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "common/result.h"

// Thin RAII layer over the SQLite C API, private to store/.
namespace corral::store::sqlite {

class Query;

namespace detail {
template <class T>
struct Unwrapped {
  using type = T;
};
template <class T>
struct Unwrapped<Result<T>> {
  using type = T;
};
}  // namespace detail

// What a row decoder `decode(const Query&)` yields: its T, whether it returns T or Result<T>.
template <class Decode>
using RowOf = typename detail::Unwrapped<std::invoke_result_t<Decode&, const Query&>>::type;

// kInternal carrying SQLite's own message, so an operator can tell a full disk from a lock.
Status Error(sqlite3* db, int rc, std::string_view what);

struct StatementDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

// One execution of a prepared statement: bind, step, read columns. Resets the statement when it
// goes away, so a cached statement is reusable and does not keep a read snapshot open.
class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* stmt, StatementPtr owned = nullptr);
  Query(Query&& other) noexcept;
  Query& operator=(Query&&) = delete;
  Query(const Query&) = delete;
  ~Query();

  // Parameters are 1-based, as in SQLite. Bind errors surface at the next Step().
  Query& Bind(int index, int64_t value);
  Query& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Query& Bind(int index, double value);
  Query& Bind(int index, std::string_view value);
  Query& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Query& BindNull(int index);
  template <class T>
  Query& Bind(int index, const std::optional<T>& value) {
    return value ? Bind(index, *value) : BindNull(index);
  }

  // true: a row is available; false: done.
  Result<bool> Step();
  // Runs a statement that returns no rows (or whose rows do not matter).
  Status Run();

  // The readers below decode rows with `decode(const Query&)`, which returns T or Result<T>, and
  // stop at the first failed step or decode, returning its Status.

  // Every row, in the statement's order.
  template <class Decode>
  Result<std::vector<RowOf<Decode>>> Rows(Decode decode) {
    std::vector<RowOf<Decode>> rows;
    CORRAL_RETURN_IF_ERROR(AppendRows(rows, rows.max_size(), decode).status());
    return rows;
  }

  // Appends rows to `rows` until it holds `limit`. true: another row follows, left undecoded; a
  // query that selects one row more than a page uses it to tell whether a next page exists.
  template <class Decode>
  Result<bool> AppendRows(std::vector<RowOf<Decode>>& rows, size_t limit, Decode decode) {
    while (true) {
      CORRAL_ASSIGN_OR_RETURN(bool row, Step());
      if (!row) return false;
      if (rows.size() >= limit) return true;
      CORRAL_ASSIGN_OR_RETURN(RowOf<Decode> value, Result<RowOf<Decode>>(decode(*this)));
      rows.push_back(std::move(value));
    }
  }

  // The first row, or nullopt when there is none.
  template <class Decode>
  Result<std::optional<RowOf<Decode>>> OneRow(Decode decode) {
    CORRAL_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return std::optional<RowOf<Decode>>();
    CORRAL_ASSIGN_OR_RETURN(RowOf<Decode> value, Result<RowOf<Decode>>(decode(*this)));
    return std::optional<RowOf<Decode>>(std::move(value));
  }

  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string_view Text(int col) const;
  std::optional<int64_t> OptionalInt(int col) const;

  // The (extended) result code of the last step, to tell a constraint violation from other errors.
  int last_code() const { return last_code_; }

 private:
  void NoteBind(int rc);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  StatementPtr owned_;
  int bind_error_ = SQLITE_OK;
  int last_code_ = SQLITE_OK;
};

// One SQLite connection plus its cache of prepared statements. Statements are prepared on first
// use and kept for the connection's life.
class Connection {
 public:
  static Result<Connection> Open(const std::string& path, int flags);

  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;

  sqlite3* get() const { return db_.get(); }

  // Prepares (or reuses) a statement for `sql`.
  Result<Query> Prepare(std::string_view sql);
  // Like Prepare, for SQL built at run time from a bounded set of shapes: cached while the cache
  // is small, prepared for one use beyond that.
  Result<Query> PrepareDynamic(const std::string& sql);
  // Runs one or more statements with no parameters (schema scripts, pragmas, transactions).
  Status Exec(const char* sql);

  bool in_transaction() const { return db_ && sqlite3_get_autocommit(db_.get()) == 0; }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  explicit Connection(sqlite3* db) : db_(db) {}
  Result<StatementPtr> PrepareNew(std::string_view sql);

  // db_ is declared first so that it is destroyed last, after the cached statements.
  std::unique_ptr<sqlite3, Closer> db_;
  std::unordered_map<std::string, StatementPtr> cache_;
};

}  // namespace corral::store::sqlite
