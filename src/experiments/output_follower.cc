#include "experiments/output_follower.h"

#include "experiments/log_lines.h"

namespace corral::experiments {

OutputFollower::OutputFollower(Duration period, Deliver deliver)
    : period_(period), deliver_(std::move(deliver)) {
  thread_ = std::thread([this] { Run(); });
}

OutputFollower::~OutputFollower() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OutputFollower::Follow(Target target) {
  Key key{target.experiment.value, target.trial};
  auto state = std::make_shared<State>();
  state->target = std::move(target);
  std::lock_guard lock(mu_);
  targets_[key] = std::move(state);
}

void OutputFollower::Finish(ExperimentId experiment, int trial, uint64_t generation) {
  {
    std::lock_guard lock(mu_);
    auto it = targets_.find({experiment.value, trial});
    if (it != targets_.end() && it->second->target.generation == generation) {
      it->second->finish = true;
    } else {
      TrialOutput empty;
      empty.experiment = experiment;
      empty.trial = trial;
      empty.generation = generation;
      empty.final = true;
      empty_finals_.push_back(std::move(empty));
    }
    urgent_ = true;
  }
  cv_.notify_all();
}

void OutputFollower::Forget(ExperimentId experiment, int trial) {
  std::lock_guard lock(mu_);
  targets_.erase({experiment.value, trial});
}

TrialOutput OutputFollower::Read(State& state, bool final) {
  Target& t = state.target;
  TrialOutput out;
  out.experiment = t.experiment;
  out.trial = t.trial;
  out.generation = t.generation;
  out.final = final;
  if (t.log) out.log_lines = ReadNewLines(*t.log, t.log_offset, final);
  if (t.file) out.file_lines = ReadNewLines(*t.file, t.file_offset, final);
  out.log_offset = t.log_offset;
  out.file_offset = t.file_offset;
  return out;
}

void OutputFollower::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait_for(lock, std::chrono::milliseconds(period_.count()),
                 [this] { return stop_ || urgent_; });
    if (stop_) return;
    const bool only_finals = urgent_;
    urgent_ = false;
    std::vector<TrialOutput> finals;
    finals.swap(empty_finals_);
    struct Work {
      Key key;
      std::shared_ptr<State> state;
      bool final;
    };
    std::vector<Work> work;
    for (auto& [key, state] : targets_)
      if (!only_finals || state->finish) work.push_back({key, state, state->finish});
    lock.unlock();
    for (auto& output : finals) deliver_(std::move(output));
    for (auto& [key, state, final] : work) {
      TrialOutput out = Read(*state, final);
      if (final) {
        std::lock_guard relock(mu_);
        auto it = targets_.find(key);
        if (it != targets_.end() && it->second == state) targets_.erase(it);
      }
      if (final || !out.log_lines.empty() || !out.file_lines.empty()) deliver_(std::move(out));
    }
    lock.lock();
  }
}

}  // namespace corral::experiments
