#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/ids.h"
#include "model/notebook.h"

namespace corral::notebook {

// What the proxy and the SSH tunnel need to know of an active notebook, without asking the
// control thread on every request.
struct NotebookRoute {
  NotebookId id;
  UserId owner;
  std::string state;
  int port = 0;
  int ssh_port = 0;
  std::string token;  // the Jupyter server's own token, added by the proxy
};

// The notebook controller writes it (control thread); request threads read it. Thread-safe.
class NotebookDirectory {
 public:
  void Put(NotebookRoute route);
  void Remove(NotebookId id);
  std::optional<NotebookRoute> Find(NotebookId id) const;
  // Waits until the notebook is no longer starting (ready, ended, or unknown) or `timeout`
  // passes, so that a client learns of readiness the moment it happens instead of polling.
  void WaitUntilSettled(NotebookId id, std::chrono::milliseconds timeout) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::map<NotebookId, NotebookRoute> routes_;
};

}  // namespace corral::notebook
