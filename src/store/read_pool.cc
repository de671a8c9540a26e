#include "store/read_pool.h"

namespace corral::store {

Result<std::unique_ptr<Store>> ReadPool::Take() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
  }
  return OpenSqliteStoreReadOnly(path_);
}

void ReadPool::Give(std::unique_ptr<Store> conn) {
  std::lock_guard lock(mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(conn));
}

}  // namespace corral::store
