#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "exec/executor.h"
#include "exec/local/local_executor.h"

namespace corral::exec::testing {

// Collects executor events from the executor's threads and lets a test wait for them.
class EventCollector {
 public:
  Executor::EventSink Sink() {
    return [this](ExecEvent e) {
      std::lock_guard lock(mu_);
      events_.push_back(std::move(e));
      cv_.notify_all();
    };
  }

  // The first event of `kind` for `ref`, waiting up to `timeout`.
  std::optional<ExecEvent> WaitFor(ExecEvent::Kind kind, const ReplicaRef& ref,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    std::optional<ExecEvent> found;
    cv_.wait_for(lock, timeout, [&] {
      for (const ExecEvent& e : events_) {
        if (e.kind == kind && e.ref == ref) {
          found = e;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  // Every event about `ref` so far, in order.
  std::vector<ExecEvent> For(const ReplicaRef& ref) {
    std::lock_guard lock(mu_);
    std::vector<ExecEvent> out;
    for (const ExecEvent& e : events_) {
      if (e.ref == ref) out.push_back(e);
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ExecEvent> events_;
};

inline std::string ShimPath() {
  if (const char* env = std::getenv("CORRAL_SHIM")) return env;
  return CORRAL_SHIM_PATH;
}

// A fresh directory under the system temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "corral-exec-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline LocalExecutorOptions OptionsFor(const std::string& root) {
  LocalExecutorOptions options;
  options.root_dir = root;
  options.shim_command = {ShimPath()};
  options.adopt_poll_interval = std::chrono::milliseconds(10);
  return options;
}

inline LaunchSpec ScriptSpec(int64_t job, std::string script, int replicas = 1) {
  LaunchSpec spec;
  spec.job = JobId(job);
  spec.attempt = 1;
  spec.script = std::move(script);
  for (int i = 0; i < replicas; ++i) {
    ReplicaLaunch r;
    r.index = i;
    r.node = "node-a";
    spec.replicas.push_back(r);
  }
  return spec;
}

}  // namespace corral::exec::testing
