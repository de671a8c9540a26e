#include "notebook/notebook_directory.h"

#include "notebook/notebook_state.h"

namespace corral::notebook {

void NotebookDirectory::Put(NotebookRoute route) {
  {
    std::lock_guard lock(mu_);
    NotebookId id = route.id;
    routes_[id] = std::move(route);
  }
  changed_.notify_all();
}

void NotebookDirectory::Remove(NotebookId id) {
  {
    std::lock_guard lock(mu_);
    routes_.erase(id);
  }
  changed_.notify_all();
}

std::optional<NotebookRoute> NotebookDirectory::Find(NotebookId id) const {
  std::lock_guard lock(mu_);
  auto it = routes_.find(id);
  if (it == routes_.end()) return std::nullopt;
  return it->second;
}

void NotebookDirectory::WaitUntilSettled(NotebookId id, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  changed_.wait_for(lock, timeout, [&] {
    auto it = routes_.find(id);
    return it == routes_.end() || it->second.state != kStarting;
  });
}

}  // namespace corral::notebook
