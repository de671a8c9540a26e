#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include "common/clock.h"
#include "common/ids.h"

namespace corral {

// One hyperparameter value as a sampler proposed it. Kept typed (not a string) so that an int 3
// and a float 3.0 stay distinct across a restart.
using ParamValue = std::variant<bool, int64_t, double, std::string>;
using ParamSet = std::map<std::string, ParamValue>;

// A hyperparameter search. The spec and the sampler state are serialised by tune/ and opaque to
// everything below it; persisting the sampler state (RNG included) lets a restarted server resume
// the search where it stopped instead of starting over.
struct Experiment {
  ExperimentId id;
  UserId owner;
  std::string name;
  std::string spec;
  std::string state;  // tune/'s vocabulary ("running", "succeeded", ...)
  std::string sampler_state;
  TimePoint created_at;
  std::optional<TimePoint> ended_at;  // set once the experiment is over: "active" means unset

  friend bool operator==(const Experiment&, const Experiment&) = default;
};

// One point of a search: an experiment's `number`-th proposal and the job that evaluates it.
struct Trial {
  ExperimentId experiment;
  int number = 0;
  JobId job;  // invalid until a job was submitted for the trial
  ParamSet params;
  std::string state;  // tune/'s vocabulary ("pending", "running", "pruned", ...)
  std::optional<double> objective;

  friend bool operator==(const Trial&, const Trial&) = default;
};

// One sample of a job's named scalar series (loss, accuracy, ...).
struct MetricPoint {
  JobId job;
  std::string name;
  int64_t step = 0;
  double value = 0;
  TimePoint time;

  friend bool operator==(const MetricPoint&, const MetricPoint&) = default;
};

}  // namespace corral
