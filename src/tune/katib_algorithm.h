#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "tune/pruner_config.h"
#include "tune/sampler_config.h"
#include "tune/search_space.h"

namespace corral::tune {

// Katib's `Experiment` pieces in neutral form (the server translates the YAML/JSON into these).
struct KatibSetting {
  std::string name{};
  std::string value{};  // Katib keeps every setting as a string
};

struct KatibParameter {
  std::string name{};
  std::string parameter_type{};  // double | int | categorical | discrete
  // feasibleSpace
  std::string min{}, max{}, step{};
  std::vector<std::string> list{};
  std::string distribution{};  // "" | uniform | logUniform (normal/logNormal are rejected)
};

// Search space from spec.parameters. Errors name `parameters[i].<field>`.
Result<SearchSpace> SearchSpaceFromKatib(const std::vector<KatibParameter>& parameters);

// What spec.algorithm (and spec.earlyStopping) become.
struct KatibAlgorithm {
  SamplerConfig sampler;
  std::optional<PrunerConfig> pruner;  // hyperband, or an early-stopping algorithm
  std::optional<uint64_t> seed;        // random_state, when given
  std::string resource_name;           // hyperband's resource_name, when given
};

// spec.algorithm.algorithmName + algorithmSettings: random, grid, tpe, multivariate-tpe, cmaes,
// sobol, bayesianoptimization, hyperband. Unknown names, unknown settings and values this
// library cannot honour are InvalidArgument naming `algorithm.algorithmName` or
// `algorithm.algorithmSettings[i]`.
Result<KatibAlgorithm> AlgorithmFromKatib(const std::string& algorithm_name,
                                          const std::vector<KatibSetting>& settings);

// spec.earlyStopping.algorithmName + algorithmSettings: medianstop (min_trials_required,
// start_step). Errors name `earlyStopping.algorithmName` or `earlyStopping.algorithmSettings[i]`.
Result<PrunerConfig> EarlyStoppingFromKatib(const std::string& algorithm_name,
                                            const std::vector<KatibSetting>& settings);

}  // namespace corral::tune
