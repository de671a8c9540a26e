#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "experiments/experiment_spec.h"

namespace corral::experiments {
namespace {

using nlohmann::json;

json KatibExperiment() {
  return json::parse(R"JSON({
    "apiVersion": "kubeflow.org/v1beta1",
    "kind": "Experiment",
    "metadata": {"name": "random-example", "namespace": "kubeflow"},
    "spec": {
      "objective": {"type": "maximize", "goal": 0.99, "objectiveMetricName": "accuracy",
                    "additionalMetricNames": ["loss"]},
      "algorithm": {"algorithmName": "random", "algorithmSettings": [{"name": "random_state", "value": "7"}]},
      "parallelTrialCount": 3, "maxTrialCount": 12, "maxFailedTrialCount": 3,
      "parameters": [
        {"name": "lr", "parameterType": "double", "feasibleSpace": {"min": "0.01", "max": "0.05"}},
        {"name": "layers", "parameterType": "int", "feasibleSpace": {"min": "2", "max": "5"}},
        {"name": "optimizer", "parameterType": "categorical", "feasibleSpace": {"list": ["sgd", "adam"]}}
      ],
      "metricsCollectorSpec": {"collector": {"kind": "StdOut"},
                               "source": {"filter": {"metricsFormat": ["([\\w-]+):\\s*([+-]?\\d*(\\.\\d+)?)"]}}},
      "trialTemplate": {
        "primaryContainerName": "training-container",
        "trialParameters": [
          {"name": "learningRate", "description": "Learning rate", "reference": "lr"},
          {"name": "numberLayers", "reference": "layers"},
          {"name": "optimizer", "reference": "optimizer"}
        ],
        "trialSpec": {
          "apiVersion": "batch/v1", "kind": "Job",
          "spec": {"template": {"spec": {
            "containers": [{
              "name": "training-container",
              "image": "docker.io/kubeflowkatib/mxnet-mnist:latest",
              "command": ["python3", "/opt/mxnet-mnist/mnist.py"],
              "args": ["--lr=${trialParameters.learningRate}", "--num-layers=${trialParameters.numberLayers}",
                       "--optimizer=${trialParameters.optimizer}"],
              "env": [{"name": "OPT", "value": "${trialParameters.optimizer}"}],
              "resources": {"limits": {"nvidia.com/gpu": 1, "cpu": "500m", "memory": "2Gi"}}
            }],
            "restartPolicy": "Never"
          }}}
        }
      }
    }
  })JSON");
}

TEST(KatibSpecTest, TranslatesTheExperiment) {
  auto parsed = ParseExperimentSpec(KatibExperiment());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const ExperimentSpec& s = parsed->spec;
  EXPECT_EQ(parsed->format, "katib");
  EXPECT_EQ(s.name, "random-example");
  EXPECT_EQ(s.objective.metric, "accuracy");
  EXPECT_EQ(s.objective.direction, tune::Direction::kMaximize);
  EXPECT_EQ(s.study.direction, tune::Direction::kMaximize);
  ASSERT_TRUE(s.objective.goal);
  EXPECT_DOUBLE_EQ(*s.objective.goal, 0.99);
  EXPECT_EQ(s.objective.strategy, MetricStrategy::kMax);
  EXPECT_EQ(s.objective.additional_metrics, std::vector<std::string>{"loss"});
  EXPECT_EQ(s.study.sampler.kind, tune::SamplerKind::kRandom);
  EXPECT_EQ(s.study.seed, 7u);
  EXPECT_EQ(s.parallel_trials, 3);
  EXPECT_EQ(s.max_trials, 12);
  EXPECT_EQ(s.max_failed_trials, 3);
  ASSERT_EQ(s.study.space.size(), 3u);
  EXPECT_EQ(s.study.space.param(1).kind, tune::ParamKind::kInt);
  EXPECT_EQ(s.trial.command,
            (std::vector<std::string>{"python3", "/opt/mxnet-mnist/mnist.py",
                                      "--lr=${trialParameters.learningRate}",
                                      "--num-layers=${trialParameters.numberLayers}",
                                      "--optimizer=${trialParameters.optimizer}"}));
  EXPECT_EQ(s.trial.env.at("OPT"), "${trialParameters.optimizer}");
  EXPECT_EQ(s.trial.resources.gpus, 1);
  EXPECT_EQ(s.trial.resources.cpus, 1);
  EXPECT_EQ(s.trial.resources.memory_mb, 2048);
  EXPECT_EQ(s.trial.priority, PriorityClass::kOpportunistic);
  EXPECT_EQ(s.trial_parameters.at("learningRate"), "lr");
  ASSERT_EQ(s.metrics_filters.size(), 1u);
  // The image, the namespace and the restart policy mean nothing here: each is named.
  auto has = [&](const std::string& prefix) {
    for (const auto& w : parsed->warnings)
      if (w.rfind(prefix, 0) == 0) return true;
    return false;
  };
  EXPECT_TRUE(has("metadata.namespace")) << testing::PrintToString(parsed->warnings);
  EXPECT_TRUE(has("spec.trialTemplate.trialSpec.spec.template.spec.containers[0].image"));
  EXPECT_TRUE(has("spec.trialTemplate.trialSpec.spec.template.spec.restartPolicy"));
}

TEST(KatibSpecTest, NativeRoundTripKeepsTheSpec) {
  auto parsed = ParseExperimentSpec(KatibExperiment());
  ASSERT_TRUE(parsed.ok());
  json native = ExperimentSpecToJson(parsed->spec);
  auto again = ParseNativeSpec(native);
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << native.dump(2);
  EXPECT_EQ(ExperimentSpecToJson(again->spec), native);
  EXPECT_EQ(again->spec.objective.strategy, MetricStrategy::kMax);
  EXPECT_EQ(again->spec.trial_parameters, parsed->spec.trial_parameters);
}

struct ErrorCase {
  std::string pointer;  // where to change the document
  json value;
  std::string field;  // the path the error must name
};

class KatibSpecErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(KatibSpecErrorTest, NamesTheField) {
  json doc = KatibExperiment();
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
    Errors, KatibSpecErrorTest,
    testing::Values(
        ErrorCase{"/spec/bogus", 1, "spec.bogus"},
        ErrorCase{"/apiVersion", "kubeflow.org/v1alpha3", "apiVersion"},
        ErrorCase{"/spec/objective/type", "biggest", "spec.objective.type"},
        ErrorCase{"/spec/objective/objectiveMetricName", json::value_t::discarded,
                  "spec.objective.objectiveMetricName"},
        ErrorCase{"/spec/parameters/1/parameterType", "complex",
                  "spec.parameters[1].parameterType"},
        ErrorCase{"/spec/parameters/0/feasibleSpace/min", "0.5",
                  "spec.parameters[0].feasibleSpace.max"},
        ErrorCase{"/spec/parameters/0/feasibleSpace/extra", 1,
                  "spec.parameters[0].feasibleSpace.extra"},
        ErrorCase{"/spec/algorithm/algorithmName", "simulated-annealing",
                  "spec.algorithm.algorithmName"},
        ErrorCase{"/spec/maxTrialCount", "many", "spec.maxTrialCount"},
        ErrorCase{"/spec/trialTemplate/trialParameters/0/reference", "momentum",
                  "spec.trialTemplate.trialParameters[0].reference"},
        ErrorCase{"/spec/trialTemplate/trialSpec/kind", "PyTorchJob",
                  "spec.trialTemplate.trialSpec.kind"},
        ErrorCase{"/spec/trialTemplate/primaryContainerName", "main",
                  "spec.trialTemplate.trialSpec.spec.template.spec.containers"},
        ErrorCase{
            "/spec/trialTemplate/trialSpec/spec/template/spec/containers/0/resources/limits/memory",
            "lots",
            "spec.trialTemplate.trialSpec.spec.template.spec.containers[0].resources.limits."
            "memory"},
        ErrorCase{"/spec/trialTemplate/trialSpec/spec/template/spec/containers/0/bogus", 1,
                  "spec.trialTemplate.trialSpec.spec.template.spec.containers[0].bogus"},
        ErrorCase{"/spec/metricsCollectorSpec/collector/kind", "PrometheusMetric",
                  "spec.metricsCollectorSpec.collector.kind"},
        ErrorCase{"/spec/metricsCollectorSpec/source/filter/metricsFormat/0", "(unclosed",
                  "spec.metricsCollectorSpec.source.filter.metricsFormat[0]"},
        ErrorCase{"/spec/parallelTrialCount", 20, "spec.parallelTrialCount"},
        ErrorCase{"/spec/metricsCollectorSpec/collector/kind", "File",
                  "spec.metricsCollectorSpec.source.fileSystemPath.path"},
        ErrorCase{"/spec/metricsCollectorSpec/source/fileSystemPath",
                  json::parse(R"({"path": "/var/log/katib/metrics.log", "kind": "File"})"),
                  "spec.metricsCollectorSpec.source.fileSystemPath.path"},
        ErrorCase{"/spec/earlyStopping", json::parse(R"({"algorithmName": "medianstop",
                   "algorithmSettings": [{"name": "min_trials_required", "value": "x"}]})"),
                  "spec.earlyStopping.algorithmSettings[0]"}));

TEST(KatibSpecTest, FileCollectorReadsTheTrialsFile) {
  json doc = KatibExperiment();
  doc["spec"]["metricsCollectorSpec"] = json::parse(R"({
    "collector": {"kind": "File"},
    "source": {"fileSystemPath": {"path": "/scratch/${trialSpec.Name}/metrics.json",
                                  "kind": "File", "format": "JSON"}}})");
  auto parsed = ParseExperimentSpec(doc);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_FALSE(parsed->spec.collect_stdout);
  ASSERT_TRUE(parsed->spec.metrics_file);
  EXPECT_EQ(parsed->spec.metrics_file->path, "/scratch/${trialSpec.Name}/metrics.json");
  EXPECT_EQ(parsed->spec.metrics_file->format, MetricsFileFormat::kJson);

  // With one trial at a time a fixed path (Katib's usual one) is fine.
  doc["spec"]["parallelTrialCount"] = 1;
  doc["spec"]["metricsCollectorSpec"]["source"]["fileSystemPath"]["path"] =
      "/var/log/katib/metrics.log";
  EXPECT_TRUE(ParseExperimentSpec(doc).ok());
}

TEST(KatibSpecTest, UnknownPlaceholderIsAnError) {
  json doc = KatibExperiment();
  doc["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["args"]
     [0] = "--lr=${trialParameters.momentum}";
  auto parsed = ParseExperimentSpec(doc);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().field().find("trial.command[2]"), std::string::npos)
      << parsed.status().ToString();
}

TEST(KatibSpecTest, MedianStopBecomesAPruner) {
  json doc = KatibExperiment();
  doc["spec"]["earlyStopping"] = {
      {"algorithmName", "medianstop"},
      {"algorithmSettings", {{{"name", "min_trials_required"}, {"value", "2"}}}}};
  auto parsed = ParseExperimentSpec(doc);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_NE(parsed->spec.study.pruner.kind, tune::PrunerKind::kNone);
  EXPECT_EQ(parsed->spec.study.pruner.n_startup_trials, 2);
}

}  // namespace
}  // namespace corral::experiments
