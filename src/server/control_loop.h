#pragma once

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "api/control_port.h"
#include "jobs/job_controller.h"
#include "metrics/control_loop_stats.h"
#include "store/store.h"

namespace corral::server {

// The control thread: runs every command against the controller and the store one at a time,
// commits the store in groups, and coalesces scheduling passes.
class ControlLoop final : public api::ControlPort {
 public:
  ControlLoop(store::Store& store, Duration tick = Duration(1000));
  ~ControlLoop() override;

  // The controller is created on the caller's thread before Start() and owned elsewhere.
  void SetController(jobs::JobController* jobs) { jobs_ = jobs; }
  // Called on the control thread when a commit fails, after the batch's waiters were told. The
  // in-memory state then holds changes the store does not, so the server must not go on as if
  // nothing happened; set before Start().
  void SetOnCommitFailure(std::function<void(const Status&)> fn) {
    on_commit_failure_ = std::move(fn);
  }
  // Where task, pass and commit timings go (not owned); set before Start(). None: not timed.
  void SetStats(metrics::ControlLoopStats* stats) { stats_ = stats; }
  void Start();
  // Runs what is queued, commits, and stops the thread.
  void Stop();

  // Runs fn as a task named after the posting thread's api::TaskNameScope.
  void Post(std::function<void()> fn) override;
  void AfterCommit(std::function<void(Status)> fn) override;

 private:
  struct Impl;
  // Queues fn on the control thread, timing its wait and run under `name` (a string literal).
  void PostTimed(const char* name, std::function<void()> fn);
  void AfterWork();
  void Commit();
  void Pass();
  void ArmTick();

  store::Store& store_;
  jobs::JobController* jobs_ = nullptr;
  Duration tick_;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  std::vector<std::function<void(Status)>> waiting_commit_;
  bool commit_posted_ = false;
  bool pass_posted_ = false;
  std::function<void(const Status&)> on_commit_failure_;
  metrics::ControlLoopStats* stats_ = nullptr;
};

}  // namespace corral::server
