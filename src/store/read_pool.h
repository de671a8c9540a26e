#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "store/store.h"

namespace corral::store {

// Read-only connections to one database (OpenSqliteStoreReadOnly), lent to request threads so
// that reads of committed data (finished jobs, pages of jobs, the event log) do not queue behind
// the control thread. A reader sees everything committed before its query began: a request
// acknowledged after its commit is visible to every later read.
class ReadPool {
 public:
  explicit ReadPool(std::string path, size_t max_idle = 8)
      : path_(std::move(path)), max_idle_(max_idle) {}

  // Runs f(Store&) on a borrowed connection. f returns a Result or Status; a connection that
  // cannot be opened becomes that type's error.
  template <class F>
  auto Use(F f) -> std::invoke_result_t<F, Store&> {
    using R = std::invoke_result_t<F, Store&>;
    auto conn = Take();
    if (!conn.ok()) return R(conn.status());
    R out = f(**conn);
    Give(std::move(*conn));
    return out;
  }

 private:
  Result<std::unique_ptr<Store>> Take();
  void Give(std::unique_ptr<Store> conn);

  std::string path_;
  size_t max_idle_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Store>> idle_;
};

}  // namespace corral::store
