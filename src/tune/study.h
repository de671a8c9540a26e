#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"
#include "tune/pruner.h"
#include "tune/pruner_config.h"
#include "tune/rng.h"
#include "tune/sampler.h"
#include "tune/sampler_config.h"
#include "tune/search_space.h"
#include "tune/trial.h"

namespace corral::tune {

struct StudyConfig {
  SearchSpace space;
  SamplerConfig sampler;
  PrunerConfig pruner;
  Direction direction = Direction::kMinimize;
  uint64_t seed = 0;
};

// JSON form: {"space": {...}, "sampler": {...}, "pruner": {...}, "direction":
// "minimize"|"maximize", "seed": n}; only "space" is required.
Result<StudyConfig> StudyConfigFromJson(const nlohmann::json& j);
nlohmann::json StudyConfigToJson(const StudyConfig& config);

// One search: the trials so far, the sampler that proposes new ones and the pruner that stops
// bad ones early. Pure ask/tell: the caller runs the trials and reports back. No I/O; SaveState
// captures everything (trials, sampler state, random generator), so a study restored with
// LoadState gives exactly the suggestions and decisions the original would have.
class Study {
 public:
  static Result<Study> Create(StudyConfig config);
  Study(Study&&) noexcept;
  Study& operator=(Study&&) noexcept;
  ~Study();

  // Creates up to n pending trials. In a batch (and against every pending trial) no configuration
  // repeats unless the space has too few points left. Returns fewer than n when the sampler runs
  // out (a finished grid; then `exhausted()` is true), an empty batch when nothing is left.
  Result<std::vector<Trial>> Ask(int n);
  // Adds a pending trial at a given configuration (warm start from earlier results or a user's
  // guess); it is evaluated and told like any other.
  Result<Trial> Enqueue(Assignment params);

  // Finishes a pending trial. A NaN or infinite value makes it failed: never silently dropped.
  Status Tell(int64_t number, double value);
  Status TellFailed(int64_t number);
  // Marks a trial stopped early; its last intermediate value stands for it in later modelling.
  Status TellPruned(int64_t number);
  // Records an intermediate value of a pending trial and returns whether it should stop.
  Result<bool> Report(int64_t number, int64_t step, double value);

  const std::vector<Trial>& trials() const { return trials_; }
  const Trial* FindTrial(int64_t number) const;
  // The complete trial with the best value, or null.
  const Trial* Best() const;
  const StudyConfig& config() const { return config_; }
  const SearchSpace& space() const { return config_.space; }
  bool exhausted() const { return exhausted_; }

  // Parameters of a trial by name (inactive ones omitted), for display and for launching jobs.
  nlohmann::json ParamsToJson(const Trial& trial) const;
  Result<Assignment> ParamsFromJson(const nlohmann::json& j) const;

  std::string SaveState() const;
  static Result<Study> LoadState(std::string_view state);

  // The same state in parts, for a caller that stores each trial next to its own record: a small
  // head (config, sampler state, random generator) and one record per trial. Saving after each
  // step then costs what changed, not the whole history. TakeChanged returns the numbers of the
  // trials created or changed since the last call.
  std::string SaveHead() const;
  std::string SaveTrial(int64_t number) const;
  std::vector<int64_t> TakeChanged();
  static Result<Study> LoadParts(std::string_view head, const std::vector<std::string>& trials);

 private:
  Study() = default;
  Trial* MutableTrial(int64_t number);
  Status Finish(Trial& trial, TrialState state, std::optional<double> value);
  bool IsDuplicate(const Assignment& a, bool pending_only) const;
  void Index(const Trial& trial);
  void MarkChanged(int64_t number);
  static Result<Study> LoadHead(const nlohmann::json& state);
  Status AddLoadedTrial(const nlohmann::json& record, size_t k);

  StudyConfig config_;
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<Pruner> pruner_;
  Rng rng_;
  std::vector<Trial> trials_;
  std::unordered_multimap<uint64_t, size_t> by_hash_;  // params hash -> trial index
  bool exhausted_ = false;
  std::vector<int64_t> changed_;
  std::vector<bool> is_changed_;  // by trial number
};

}  // namespace corral::tune
