#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"

namespace corral::tune {

enum class PrunerKind {
  kNone,
  kMedian,       // median stopping rule: worse than the median of earlier trials at the same step
  kMeanOfFirst,  // Katib's medianstop: worse than the mean over trials of their first k values
  kAsha,         // asynchronous successive halving
  kHyperband,    // several ASHA brackets with different starting rungs
};

struct PrunerConfig {
  PrunerKind kind = PrunerKind::kNone;
  // Median / mean-of-first: trials that must have completed before anything is pruned, steps a
  // trial runs before it can be pruned, and how often it is checked.
  int n_startup_trials = 5;
  int64_t n_warmup_steps = 0;
  int64_t interval_steps = 1;
  // ASHA / Hyperband, in steps (e.g. epochs).
  int64_t min_resource = 1;
  int64_t max_resource = 27;
  int64_t reduction_factor = 3;
  int min_early_stopping_rate = 0;  // ASHA only
};

const char* PrunerKindName(PrunerKind kind);

// JSON form: {"name": none|median|mean_of_first|asha|hyperband, <option>: value, ...}.
Result<PrunerConfig> PrunerConfigFromJson(const nlohmann::json& j, const std::string& field);
nlohmann::json PrunerConfigToJson(const PrunerConfig& config);

}  // namespace corral::tune
