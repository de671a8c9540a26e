#include "experiments/output_follower.h"

#include "experiments/metric_parser.h"

namespace corral::experiments {
namespace {

// Complete lines of `source` after `offset` (and the unfinished last one when `final`); advances
// `offset` past them. A source shorter than `offset` was rewritten: it is read from the start.
std::vector<std::string> ReadLines(exec::LogSource& source, int64_t& offset, bool final) {
  constexpr size_t kChunk = 1 << 20;
  std::string buffer;
  for (;;) {
    auto chunk = source.Read(offset + static_cast<int64_t>(buffer.size()), kChunk);
    if (!chunk.ok()) {
      if (chunk.status().code() != StatusCode::kFailedPrecondition || offset == 0) break;
      offset = 0;
      buffer.clear();
      continue;
    }
    buffer += *chunk;
    if (chunk->size() < kChunk) break;
  }
  if (buffer.empty()) return {};
  const size_t before = buffer.size();
  std::vector<std::string> lines = TakeLines(buffer);
  int64_t consumed = static_cast<int64_t>(before - buffer.size());
  if (final && !buffer.empty()) {
    lines.push_back(buffer);
    consumed += static_cast<int64_t>(buffer.size());
  }
  offset += consumed;
  return lines;
}

}  // namespace

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
  if (t.log) out.log_lines = ReadLines(*t.log, t.log_offset, final);
  if (t.file) out.file_lines = ReadLines(*t.file, t.file_offset, final);
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
