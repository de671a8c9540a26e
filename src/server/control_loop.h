#pragma once

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "api/control_port.h"
#include "jobs/job_controller.h"
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
  void Start();
  // Runs what is queued, commits, and stops the thread.
  void Stop();

  void Post(std::function<void()> fn) override;
  void AfterCommit(std::function<void(Status)> fn) override;

 private:
  struct Impl;
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
};

}  // namespace corral::server
