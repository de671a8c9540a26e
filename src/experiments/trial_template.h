#pragma once

#include <map>
#include <string>

#include "common/result.h"
#include "experiments/experiment_spec.h"
#include "model/job.h"

namespace corral::experiments {

// Fails when the template names a `${trialParameters.X}` that `placeholders` does not define
// (the error names the template field).
Status CheckPlaceholders(const TrialTemplate& trial,
                         const std::map<std::string, std::string>& placeholders);

// Replaces every `${trialParameters.X}` in `text` by values.at(X).
std::string SubstitutePlaceholders(const std::string& text,
                                   const std::map<std::string, std::string>& values);

struct TrialJobContext {
  int64_t experiment_id = 0;
  int64_t trial_number = 0;
  std::string experiment_name;
  std::string server_url;  // empty: not passed to the trial
};

// The job that evaluates one trial. `values` maps placeholder names to the trial's values.
JobSpec BuildTrialJob(const ExperimentSpec& spec, const std::map<std::string, std::string>& values,
                      const TrialJobContext& context);

}  // namespace corral::experiments
