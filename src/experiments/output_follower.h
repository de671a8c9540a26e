#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "exec/executor.h"

namespace corral::experiments {

// New complete lines of one trial's log and metrics file, read off the control thread.
struct TrialOutput {
  ExperimentId experiment;
  int trial = 0;
  uint64_t generation = 0;  // which Follow this answers; older ones are stale
  std::vector<std::string> log_lines;
  int64_t log_offset = 0;  // where reading stopped: the next read starts here
  std::vector<std::string> file_lines;
  int64_t file_offset = 0;
  bool final = false;  // the answer to Finish: everything was read, unfinished last lines too
};

// Reads the output of running trials on a thread of its own, every `period`, and hands what is
// new to `deliver` (called on that thread; the owner re-posts it to the control thread). Only
// batches with lines (and every final one) are delivered.
class OutputFollower {
 public:
  using Deliver = std::function<void(TrialOutput)>;
  struct Target {
    ExperimentId experiment;
    int trial = 0;
    uint64_t generation = 0;
    std::unique_ptr<exec::LogSource> log;  // nullptr: stdout is not followed
    int64_t log_offset = 0;
    std::unique_ptr<exec::LogSource> file;  // nullptr: no metrics file
    int64_t file_offset = 0;
  };

  OutputFollower(Duration period, Deliver deliver);
  ~OutputFollower();
  OutputFollower(const OutputFollower&) = delete;
  OutputFollower& operator=(const OutputFollower&) = delete;

  // Starts following (replaces what was followed for the same trial).
  void Follow(Target target);
  // Reads the trial's output to its end at once, delivers it as final, and stops following.
  // Without a matching Follow, delivers an empty final batch.
  void Finish(ExperimentId experiment, int trial, uint64_t generation);
  void Forget(ExperimentId experiment, int trial);

 private:
  struct State {
    Target target;
    bool finish = false;
  };
  using Key = std::pair<int64_t, int>;

  void Run();
  // Reads what is new; nullopt-like empty batch when nothing.
  TrialOutput Read(State& state, bool final);

  Duration period_;
  Deliver deliver_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool urgent_ = false;
  std::map<Key, std::shared_ptr<State>> targets_;
  std::vector<TrialOutput> empty_finals_;
  std::thread thread_;
};

}  // namespace corral::experiments
