#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "experiments/experiment_spec.h"

namespace corral::experiments {
namespace {

using nlohmann::json;

json NativeExperiment() {
  return json::parse(R"({
    "name": "quadratic",
    "objective": {"metric": "loss", "direction": "minimize", "goal": 0.001},
    "parameters": [
      {"name": "x", "type": "float", "low": -2, "high": 2},
      {"name": "n", "type": "int", "low": 1, "high": 4},
      {"name": "act", "type": "categorical", "choices": ["relu", "tanh"]}
    ],
    "algorithm": {"name": "tpe", "n_startup_trials": 4},
    "earlyStopping": {"name": "median", "n_startup_trials": 2},
    "seed": 3,
    "parallelTrialCount": 2,
    "maxTrialCount": 6,
    "maxFailedTrialCount": 1,
    "trial": {"command": ["python3", "f.py", "--x=${trialParameters.x}"],
              "env": {"ACT": "${trialParameters.act}"},
              "resources": {"gpus": 1}, "timeLimitSeconds": 60}
  })");
}

TEST(NativeSpecTest, ReadsEveryPart) {
  auto parsed = ParseExperimentSpec(NativeExperiment());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const ExperimentSpec& s = parsed->spec;
  EXPECT_EQ(parsed->format, "native");
  EXPECT_TRUE(parsed->warnings.empty());
  EXPECT_EQ(s.name, "quadratic");
  EXPECT_EQ(s.objective.metric, "loss");
  EXPECT_EQ(s.objective.strategy, MetricStrategy::kLatest);
  EXPECT_EQ(s.study.sampler.kind, tune::SamplerKind::kTpe);
  EXPECT_EQ(s.study.sampler.tpe.n_startup_trials, 4);
  EXPECT_EQ(s.study.pruner.kind, tune::PrunerKind::kMedian);
  EXPECT_EQ(s.study.seed, 3u);
  EXPECT_EQ(s.parallel_trials, 2);
  EXPECT_EQ(s.max_trials, 6);
  EXPECT_EQ(s.max_failed_trials, 1);
  // Without trialParameters every parameter is its own placeholder.
  EXPECT_EQ(s.trial_parameters.size(), 3u);
  EXPECT_EQ(s.trial_parameters.at("act"), "act");
  EXPECT_EQ(s.trial.resources.gpus, 1);
  EXPECT_EQ(s.trial.priority, PriorityClass::kOpportunistic);
  ASSERT_TRUE(s.trial.time_limit);
  EXPECT_EQ(s.trial.time_limit->count(), 60000);
}

TEST(NativeSpecTest, MetricsFileIsResolvedPerTrial) {
  json doc = NativeExperiment();
  doc["metricsFile"] = {{"path", "runs/${trialSpec.Name}/x=${trialParameters.x}.jsonl"},
                        {"format", "json"}};
  doc["trial"]["workdir"] = "/work/project";
  auto parsed = ParseNativeSpec(doc);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_TRUE(parsed->spec.metrics_file);
  EXPECT_EQ(parsed->spec.metrics_file->format, MetricsFileFormat::kJson);
  auto again = ParseNativeSpec(ExperimentSpecToJson(parsed->spec));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->spec.metrics_file->path, parsed->spec.metrics_file->path);
  EXPECT_EQ(again->spec.metrics_file->format, MetricsFileFormat::kJson);
}

TEST(NativeSpecTest, RoundTrips) {
  auto parsed = ParseNativeSpec(NativeExperiment());
  ASSERT_TRUE(parsed.ok());
  json once = ExperimentSpecToJson(parsed->spec);
  auto again = ParseNativeSpec(once);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ExperimentSpecToJson(again->spec), once);
}

TEST(NativeSpecTest, DefaultsAreSmall) {
  json doc = NativeExperiment();
  doc.erase("parallelTrialCount");
  doc.erase("maxTrialCount");
  doc.erase("maxFailedTrialCount");
  doc["maxTrialCount"] = 2;
  auto parsed = ParseNativeSpec(doc);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->spec.parallel_trials, 2);  // never more than maxTrialCount
  EXPECT_FALSE(parsed->spec.max_failed_trials);
}

struct ErrorCase {
  std::string pointer;
  json value;
  std::string field;
};

class NativeSpecErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(NativeSpecErrorTest, NamesTheField) {
  json doc = NativeExperiment();
  const auto& c = GetParam();
  if (c.value.is_discarded()) {
    auto ptr = json::json_pointer(c.pointer);
    doc[ptr.parent_pointer()].erase(ptr.back());
  } else {
    doc[json::json_pointer(c.pointer)] = c.value;
  }
  auto parsed = ParseExperimentSpec(doc);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().field(), c.field) << parsed.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(
    Errors, NativeSpecErrorTest,
    testing::Values(
        ErrorCase{"/colour", "blue", "colour"},
        ErrorCase{"/name", json::value_t::discarded, "name"},
        ErrorCase{"/objective/direction", "up", "objective.direction"},
        ErrorCase{"/objective/metric", 5, "objective.metric"},
        ErrorCase{"/parameters/1/type", "complex", "parameters[1].type"},
        ErrorCase{"/parameters/0/bogus", 1, "parameters[0].bogus"},
        ErrorCase{"/algorithm/name", "annealing", "algorithm.name"},
        ErrorCase{"/earlyStopping/n_startup_trials", "two", "earlyStopping.n_startup_trials"},
        ErrorCase{"/maxTrialCount", 0, "maxTrialCount"},
        ErrorCase{"/parallelTrialCount", 7, "parallelTrialCount"},
        ErrorCase{"/trial/command", json::array(), "trial.command"},
        ErrorCase{"/metricsFile", json::parse(R"({"path": "/m/${trialSpec.Name}",
                               "format": "xml"})"),
                  "metricsFile.format"},
        ErrorCase{"/metricsFile", json::parse(R"({"format": "json"})"), "metricsFile.path"},
        // Two trials at once would write one file.
        ErrorCase{"/metricsFile", json::parse(R"({"path": "/tmp/metrics.log"})"),
                  "metricsFile.path"},
        ErrorCase{"/metricsFile", json::parse(R"({"path": "m/${trialSpec.Name}"})"),
                  "metricsFile.path"},
        ErrorCase{"/metricsFile", json::parse(R"({"path": "/m/${trialSpec.Kind}"})"),
                  "metricsFile.path"},
        ErrorCase{"/metricsFile", json::parse(R"({"path": "/m/${trialParameters.nope}"})"),
                  "metricsFile.path"},
        ErrorCase{"/trial/resources/gpus", -1, "trial.resources.gpus"},
        ErrorCase{"/trial/priority", "urgent", "trial.priority"},
        ErrorCase{"/trial/env/ACT", "${trialParameters.nope}", "trial.env.ACT"},
        ErrorCase{"/trial/shell", "bash", "trial.shell"},
        ErrorCase{"/metricsFilters", json::array({"no groups"}), "metricsFilters[0]"},
        ErrorCase{"/trialParameters", json::object({{"lr", "learning_rate"}}),
                  "trialParameters.lr"}));

}  // namespace
}  // namespace corral::experiments
