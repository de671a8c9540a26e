#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "model/job.h"
#include "tune/study.h"

namespace corral::experiments {

// Which value of a trial's objective series stands for the trial.
enum class MetricStrategy { kLatest, kMin, kMax };

struct ObjectiveSpec {
  std::string metric;
  tune::Direction direction = tune::Direction::kMinimize;
  std::optional<double> goal;  // the experiment succeeds once a trial reaches it
  std::vector<std::string> additional_metrics;
  MetricStrategy strategy = MetricStrategy::kLatest;
};

// The job each trial runs. `${trialParameters.NAME}` in command arguments, script and env values
// becomes the trial's value of the parameter NAME refers to (see ExperimentSpec::trial_parameters).
struct TrialTemplate {
  std::vector<std::string> command;
  std::string script;
  std::map<std::string, std::string> env;
  ReplicaResources resources;
  PriorityClass priority = PriorityClass::kOpportunistic;
  std::string queue = "default";
  std::string workdir;
  std::optional<Duration> time_limit;
};

// A file each trial writes its metrics to (Katib's File collector). The path may hold
// `${trialSpec.Name}` and `${trialParameters.X}`, so parallel trials write different files; a
// relative path is taken from the trial's workdir. Trials find the resolved path in
// CORRAL_METRICS_FILE and the format in CORRAL_METRICS_FORMAT.
enum class MetricsFileFormat { kText, kJson };
struct MetricsFileSpec {
  std::string path;
  // text: every line through the metrics filters; json: one object per line, its numeric (or
  // numeric-string) members are the metrics.
  MetricsFileFormat format = MetricsFileFormat::kText;
};

// An experiment in the one form the controller runs, whatever format it was written in.
struct ExperimentSpec {
  std::string name;
  ObjectiveSpec objective;
  tune::StudyConfig study;  // space, sampler, pruner, direction (= objective's), seed
  int parallel_trials = 3;
  int max_trials = 12;
  std::optional<int> max_failed_trials;  // unset: failures never stop the experiment
  // Placeholder name -> parameter name. Native specs map every parameter to itself.
  std::map<std::string, std::string> trial_parameters;
  TrialTemplate trial;
  // Regex with two groups (name, value) applied to every stdout line; empty: Katib's default.
  std::vector<std::string> metrics_filters;
  // Whether stdout is read for metrics (Katib's StdOut collector) or only pushed values count.
  bool collect_stdout = true;
  std::optional<MetricsFileSpec> metrics_file;
  // The metric whose value on the same line gives the step of intermediate values; empty: `step`
  // or `epoch`, else the count of objective values so far.
  std::string step_metric;
};

struct ParsedSpec {
  ExperimentSpec spec;
  std::string format;  // "native" or "katib"
  std::vector<std::string> warnings;
};

// What a spec leaves out and the submitter supplies: the trials' working directory defaults to
// the directory the spec was submitted from (as `corral run` does), so that relative paths in the
// template mean what they meant there.
struct SpecDefaults {
  std::string workdir;  // absolute; empty: none
};

// A Katib `Experiment` (apiVersion kubeflow.org/v1beta1, kind Experiment) or a native spec
// (docs/experiments.md). Errors are InvalidArgument naming the field's path.
Result<ParsedSpec> ParseExperimentSpec(const nlohmann::json& doc,
                                       const SpecDefaults& defaults = {});
Result<ParsedSpec> ParseNativeSpec(const nlohmann::json& doc, const SpecDefaults& defaults = {});
Result<ParsedSpec> ParseKatibSpec(const nlohmann::json& doc, const SpecDefaults& defaults = {});

// Checks what both formats share: counts, filters, placeholders against parameters.
Status ValidateExperimentSpec(const ExperimentSpec& spec);
// The field rules (model/field_rules.h) for a new spec: its name and its trial template.
Status CheckExperimentFields(const ExperimentSpec& spec);
// A shared check's error with its native field path renamed to the Katib spec's.
Status KatibFieldOf(const Status& native);

// The native form; ParseNativeSpec gives the same spec back.
nlohmann::json ExperimentSpecToJson(const ExperimentSpec& spec);

std::optional<MetricsFileFormat> ParseMetricsFileFormat(std::string_view text);
const char* MetricsFileFormatName(MetricsFileFormat format);

// Katib's default metrics filter: `name=value` pairs.
extern const char* const kDefaultMetricsFilter;

}  // namespace corral::experiments
