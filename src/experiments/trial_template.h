#pragma once

#include <map>
#include <string>

#include "common/result.h"
#include "experiments/experiment_spec.h"
#include "model/job.h"

namespace corral::experiments {

// Fails when the template names a `${trialParameters.X}` that `placeholders` does not define, or
// a `${trialSpec.X}` other than Name (the error names the template field).
Status CheckPlaceholders(const TrialTemplate& trial,
                         const std::map<std::string, std::string>& placeholders);
// The same check for one text.
Status CheckText(const std::string& text, const std::string& field,
                 const std::map<std::string, std::string>& placeholders);
// Whether `text` holds any placeholder (so that it differs from trial to trial).
bool HasPlaceholder(const std::string& text);

// Replaces every `${trialParameters.X}` in `text` by values.at(X) and `${trialSpec.Name}` by
// `trial_name`.
std::string SubstitutePlaceholders(const std::string& text,
                                   const std::map<std::string, std::string>& values,
                                   const std::string& trial_name);

// "<experiment>-trial-<n>": the trial job's name and `${trialSpec.Name}`.
std::string TrialName(const ExperimentSpec& spec, int64_t trial_number);

struct TrialJobContext {
  int64_t experiment_id = 0;
  int64_t trial_number = 0;
  std::string experiment_name;
  std::string server_url;  // empty: not passed to the trial
};
// The trial's CORRAL_TOKEN is not part of its job: it is added at launch (see
// ExperimentController::AddLaunchEnv), so that no stored spec holds it.

// The job that evaluates one trial. `values` maps placeholder names to the trial's values. With a
// metrics file, the trial gets its resolved path in CORRAL_METRICS_FILE.
JobSpec BuildTrialJob(const ExperimentSpec& spec, const std::map<std::string, std::string>& values,
                      const TrialJobContext& context);

}  // namespace corral::experiments
