// Katib's `Experiment` (kubeflow.org/v1beta1) translated into an ExperimentSpec. Kubernetes-only
// fields are accepted with a warning; anything else unknown is an error naming its path.
#include <nlohmann/json.hpp>

#include <regex>

#include "experiments/experiment_spec.h"
#include "experiments/spec_reader.h"
#include "tune/katib_algorithm.h"

namespace corral::experiments {

using nlohmann::json;

namespace {

const char* const kK8sOnly = "Kubernetes-only; no meaning on this host";

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// Katib's own errors name "algorithm..." or "parameters[i]...": put them under "spec.".
Status UnderSpec(const Status& s) {
  if (s.ok() || s.field().empty()) return s;
  return Status(s.code(), s.message(), "spec." + s.field());
}

Result<std::vector<tune::KatibSetting>> ReadSettings(const SpecObject& o, const std::string& key,
                                                     std::vector<std::string>& warnings) {
  std::vector<tune::KatibSetting> out;
  if (!o.Has(key)) return out;
  const json& arr = o.At(key);
  if (!arr.is_array()) return InvalidArgument(o.PathOf(key), "must be a list");
  for (size_t i = 0; i < arr.size(); ++i) {
    SpecObject s(arr[i], Index(o.PathOf(key), i));
    CORRAL_RETURN_IF_ERROR(s.Check({"name", "value"}, {}, "", warnings));
    CORRAL_ASSIGN_OR_RETURN(auto name, s.String("name"));
    if (!name) return InvalidArgument(s.PathOf("name"), "is required");
    std::string value;
    if (s.Has("value")) {
      auto text = SpecObject::ScalarText(s.At("value"));
      if (!text) return InvalidArgument(s.PathOf("value"), "must be a string");
      value = *text;
    }
    out.push_back({*name, value});
  }
  return out;
}

Status ReadObjective(const json& j, ExperimentSpec& spec, std::vector<std::string>& warnings) {
  SpecObject o(j, "spec.objective");
  CORRAL_RETURN_IF_ERROR(
      o.Check({"type", "goal", "objectiveMetricName", "additionalMetricNames", "metricStrategies"},
              {}, "", warnings));
  CORRAL_ASSIGN_OR_RETURN(auto type, o.String("type"));
  if (!type) return InvalidArgument(o.PathOf("type"), "is required (minimize or maximize)");
  if (*type == "maximize") {
    spec.objective.direction = tune::Direction::kMaximize;
  } else if (*type != "minimize") {
    return InvalidArgument(o.PathOf("type"), "must be minimize or maximize");
  }
  CORRAL_ASSIGN_OR_RETURN(auto metric, o.String("objectiveMetricName"));
  if (!metric || metric->empty())
    return InvalidArgument(o.PathOf("objectiveMetricName"), "is required");
  spec.objective.metric = *metric;
  CORRAL_ASSIGN_OR_RETURN(spec.objective.goal, o.Number("goal"));
  CORRAL_ASSIGN_OR_RETURN(spec.objective.additional_metrics, o.StringList("additionalMetricNames"));
  // Katib's default: the best value the trial reported, in the objective's direction.
  spec.objective.strategy = spec.objective.direction == tune::Direction::kMaximize
                                ? MetricStrategy::kMax
                                : MetricStrategy::kMin;
  if (o.Has("metricStrategies")) {
    const json& arr = o.At("metricStrategies");
    if (!arr.is_array()) return InvalidArgument(o.PathOf("metricStrategies"), "must be a list");
    for (size_t i = 0; i < arr.size(); ++i) {
      SpecObject s(arr[i], Index(o.PathOf("metricStrategies"), i));
      CORRAL_RETURN_IF_ERROR(s.Check({"name", "value"}, {}, "", warnings));
      CORRAL_ASSIGN_OR_RETURN(auto name, s.String("name"));
      CORRAL_ASSIGN_OR_RETURN(auto value, s.String("value"));
      if (!name || !value) return InvalidArgument(s.path(), "needs name and value");
      if (*name != spec.objective.metric) continue;  // only the objective's strategy matters
      if (*value == "min")
        spec.objective.strategy = MetricStrategy::kMin;
      else if (*value == "max")
        spec.objective.strategy = MetricStrategy::kMax;
      else if (*value == "latest")
        spec.objective.strategy = MetricStrategy::kLatest;
      else
        return InvalidArgument(s.PathOf("value"), "must be min, max or latest");
    }
  }
  return Status::Ok();
}

Result<std::vector<tune::KatibParameter>> ReadParameters(const json& arr,
                                                         std::vector<std::string>& warnings) {
  std::vector<tune::KatibParameter> out;
  if (!arr.is_array()) return InvalidArgument("spec.parameters", "must be a list");
  for (size_t i = 0; i < arr.size(); ++i) {
    SpecObject p(arr[i], Index("spec.parameters", i));
    CORRAL_RETURN_IF_ERROR(p.Check({"name", "parameterType", "feasibleSpace"}, {}, "", warnings));
    tune::KatibParameter kp;
    CORRAL_ASSIGN_OR_RETURN(auto name, p.String("name"));
    CORRAL_ASSIGN_OR_RETURN(auto type, p.String("parameterType"));
    if (!name) return InvalidArgument(p.PathOf("name"), "is required");
    if (!type) return InvalidArgument(p.PathOf("parameterType"), "is required");
    kp.name = *name;
    kp.parameter_type = *type;
    if (!p.Has("feasibleSpace")) return InvalidArgument(p.PathOf("feasibleSpace"), "is required");
    SpecObject fs(p.At("feasibleSpace"), p.PathOf("feasibleSpace"));
    CORRAL_RETURN_IF_ERROR(
        fs.Check({"min", "max", "step", "list", "distribution"}, {}, "", warnings));
    for (const char* key : {"min", "max", "step"}) {
      if (!fs.Has(key)) continue;
      auto text = SpecObject::ScalarText(fs.At(key));
      if (!text) return InvalidArgument(fs.PathOf(key), "must be a number");
      (key[1] == 'i' ? kp.min : key[1] == 'a' ? kp.max : kp.step) = *text;
    }
    if (fs.Has("list")) {
      const json& list = fs.At("list");
      if (!list.is_array()) return InvalidArgument(fs.PathOf("list"), "must be a list");
      for (size_t k = 0; k < list.size(); ++k) {
        auto text = SpecObject::ScalarText(list[k]);
        if (!text) return InvalidArgument(Index(fs.PathOf("list"), k), "must be a scalar");
        kp.list.push_back(*text);
      }
    }
    CORRAL_ASSIGN_OR_RETURN(auto dist, fs.String("distribution"));
    if (dist) kp.distribution = *dist;
    out.push_back(std::move(kp));
  }
  return out;
}

// The primary container of the trial's Kubernetes Job becomes the trial's command.
Status ReadTrialSpec(const json& j, const std::string& primary, TrialTemplate& trial,
                     std::vector<std::string>& warnings) {
  const std::string root = "spec.trialTemplate.trialSpec";
  SpecObject job(j, root);
  CORRAL_RETURN_IF_ERROR(
      job.Check({"apiVersion", "kind", "spec"}, {"metadata"}, kK8sOnly, warnings));
  CORRAL_ASSIGN_OR_RETURN(auto kind, job.String("kind"));
  if (kind && *kind != "Job")
    return InvalidArgument(job.PathOf("kind"),
                           "only a batch/v1 Job can be a trial here, not '" + *kind + "'");
  if (!job.Has("spec")) return InvalidArgument(job.PathOf("spec"), "is required");
  SpecObject jspec(job.At("spec"), root + ".spec");
  CORRAL_RETURN_IF_ERROR(jspec.Check(
      {"template", "activeDeadlineSeconds"},
      {"backoffLimit", "ttlSecondsAfterFinished", "parallelism", "completions", "completionMode",
       "suspend", "selector", "manualSelector", "podFailurePolicy", "backoffLimitPerIndex"},
      kK8sOnly, warnings));
  CORRAL_ASSIGN_OR_RETURN(auto deadline, jspec.Int("activeDeadlineSeconds", 1, int64_t{1} << 31));
  if (deadline) trial.time_limit = Duration(*deadline * 1000);
  if (!jspec.Has("template")) return InvalidArgument(jspec.PathOf("template"), "is required");
  SpecObject tmpl(jspec.At("template"), jspec.PathOf("template"));
  CORRAL_RETURN_IF_ERROR(tmpl.Check({"spec"}, {"metadata"}, kK8sOnly, warnings));
  if (!tmpl.Has("spec")) return InvalidArgument(tmpl.PathOf("spec"), "is required");
  SpecObject pod(tmpl.At("spec"), tmpl.PathOf("spec"));
  CORRAL_RETURN_IF_ERROR(pod.Check({"containers"},
                                   {"restartPolicy",
                                    "volumes",
                                    "nodeSelector",
                                    "tolerations",
                                    "affinity",
                                    "serviceAccountName",
                                    "serviceAccount",
                                    "imagePullSecrets",
                                    "securityContext",
                                    "initContainers",
                                    "hostNetwork",
                                    "hostIPC",
                                    "hostPID",
                                    "schedulerName",
                                    "priorityClassName",
                                    "dnsPolicy",
                                    "terminationGracePeriodSeconds",
                                    "runtimeClassName",
                                    "automountServiceAccountToken",
                                    "topologySpreadConstraints",
                                    "shareProcessNamespace"},
                                   kK8sOnly, warnings));
  if (!pod.Has("containers") || !pod.At("containers").is_array() || pod.At("containers").empty())
    return InvalidArgument(pod.PathOf("containers"), "needs at least one container");
  const json& containers = pod.At("containers");
  std::optional<size_t> found;
  for (size_t i = 0; i < containers.size(); ++i) {
    if (!containers[i].is_object())
      return InvalidArgument(Index(pod.PathOf("containers"), i), "must be an object");
    if (containers[i].value("name", std::string()) == primary) found = i;
  }
  if (!found)
    return InvalidArgument(pod.PathOf("containers"),
                           "no container named '" + primary + "' (primaryContainerName)");
  for (size_t i = 0; i < containers.size(); ++i)
    if (i != *found)
      warnings.push_back(Index(pod.PathOf("containers"), i) +
                         ": ignored (only the primary container runs)");
  const std::string cpath = Index(pod.PathOf("containers"), *found);
  SpecObject c(containers[*found], cpath);
  CORRAL_RETURN_IF_ERROR(
      c.Check({"name", "command", "args", "env", "resources", "workingDir"},
              {"image", "imagePullPolicy", "volumeMounts", "ports", "securityContext",
               "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "envFrom", "stdin",
               "tty", "terminationMessagePath", "terminationMessagePolicy"},
              kK8sOnly, warnings));
  CORRAL_ASSIGN_OR_RETURN(trial.command, c.StringList("command"));
  CORRAL_ASSIGN_OR_RETURN(auto args, c.StringList("args"));
  trial.command.insert(trial.command.end(), args.begin(), args.end());
  if (trial.command.empty())
    return InvalidArgument(c.PathOf("command"),
                           "the primary container needs a command (no image entrypoint here)");
  CORRAL_ASSIGN_OR_RETURN(auto workdir, c.String("workingDir"));
  if (workdir) trial.workdir = *workdir;
  if (c.Has("env")) {
    const json& env = c.At("env");
    if (!env.is_array()) return InvalidArgument(c.PathOf("env"), "must be a list");
    for (size_t i = 0; i < env.size(); ++i) {
      SpecObject e(env[i], Index(c.PathOf("env"), i));
      CORRAL_RETURN_IF_ERROR(e.Check({"name", "value"}, {}, "", warnings));
      CORRAL_ASSIGN_OR_RETURN(auto name, e.String("name"));
      if (!name || name->empty()) return InvalidArgument(e.PathOf("name"), "is required");
      std::string value;
      if (e.Has("value")) {
        auto text = SpecObject::ScalarText(e.At("value"));
        if (!text) return InvalidArgument(e.PathOf("value"), "must be a string");
        value = *text;
      }
      trial.env[*name] = value;
    }
  }
  if (c.Has("resources")) {
    SpecObject r(c.At("resources"), c.PathOf("resources"));
    CORRAL_RETURN_IF_ERROR(r.Check({"limits", "requests"}, {"claims"}, kK8sOnly, warnings));
    // Limits win over requests, as they bound what the container gets.
    for (const char* key : {"requests", "limits"}) {
      if (!r.Has(key)) continue;
      const json& q = r.At(key);
      if (!q.is_object()) return InvalidArgument(r.PathOf(key), "must be an object");
      for (auto it = q.begin(); it != q.end(); ++it) {
        const std::string field = r.PathOf(key) + "." + it.key();
        auto text = SpecObject::ScalarText(it.value());
        if (!text) return InvalidArgument(field, "must be a quantity");
        if (it.key() == "nvidia.com/gpu") {
          char* end = nullptr;
          long gpus = std::strtol(text->c_str(), &end, 10);
          if (text->empty() || *end || gpus < 0) return InvalidArgument(field, "must be a count");
          trial.resources.gpus = static_cast<int>(gpus);
        } else if (it.key() == "cpu") {
          // "500m" and "2" both work; a fraction rounds up to a whole CPU.
          double cpus = std::strtod(text->c_str(), nullptr);
          if (!text->empty() && text->back() == 'm') cpus /= 1000;
          if (!(cpus > 0)) return InvalidArgument(field, "must be a positive quantity");
          trial.resources.cpus = static_cast<int>(std::ceil(cpus));
        } else if (it.key() == "memory") {
          static const std::regex mem(R"(^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$)");
          std::smatch m;
          if (!std::regex_match(*text, m, mem))
            return InvalidArgument(field, "must be a quantity such as 512Mi or 4Gi");
          double v = std::stod(m[1].str());
          const std::string unit = m[2].str();
          double mb = unit == "Ki" || unit == "K"   ? v / 1024
                      : unit == "Mi" || unit == "M" ? v
                      : unit == "Gi" || unit == "G" ? v * 1024
                      : unit == "Ti" || unit == "T" ? v * 1024 * 1024
                                                    : v / (1024 * 1024);
          trial.resources.memory_mb = static_cast<int64_t>(std::ceil(mb));
        } else {
          warnings.push_back(field + ": ignored (no such resource here)");
        }
      }
    }
  }
  return Status::Ok();
}

Status ReadTrialTemplate(const json& j, ExperimentSpec& spec, std::vector<std::string>& warnings) {
  SpecObject o(j, "spec.trialTemplate");
  CORRAL_RETURN_IF_ERROR(o.Check(
      {"primaryContainerName", "trialParameters", "trialSpec", "configMap"},
      {"retain", "successCondition", "failureCondition", "primaryPodLabels"}, kK8sOnly, warnings));
  if (o.Has("configMap"))
    return InvalidArgument(o.PathOf("configMap"),
                           "trial templates from a ConfigMap are not supported");
  CORRAL_ASSIGN_OR_RETURN(auto primary, o.String("primaryContainerName"));
  if (o.Has("trialParameters")) {
    const json& arr = o.At("trialParameters");
    if (!arr.is_array()) return InvalidArgument(o.PathOf("trialParameters"), "must be a list");
    for (size_t i = 0; i < arr.size(); ++i) {
      SpecObject p(arr[i], Index(o.PathOf("trialParameters"), i));
      CORRAL_RETURN_IF_ERROR(p.Check({"name", "reference", "description"}, {}, "", warnings));
      CORRAL_ASSIGN_OR_RETURN(auto name, p.String("name"));
      CORRAL_ASSIGN_OR_RETURN(auto reference, p.String("reference"));
      if (!name || name->empty()) return InvalidArgument(p.PathOf("name"), "is required");
      if (!reference || reference->empty())
        return InvalidArgument(p.PathOf("reference"), "is required");
      if (!spec.study.space.IndexOf(*reference))
        return InvalidArgument(p.PathOf("reference"),
                               "'" + *reference + "' is not one of spec.parameters");
      spec.trial_parameters[*name] = *reference;
    }
  }
  if (!o.Has("trialSpec")) return InvalidArgument(o.PathOf("trialSpec"), "is required");
  return ReadTrialSpec(o.At("trialSpec"), primary.value_or("training-container"), spec.trial,
                       warnings);
}

Status ReadCollector(const json& j, ExperimentSpec& spec, std::vector<std::string>& warnings) {
  SpecObject o(j, "spec.metricsCollectorSpec");
  CORRAL_RETURN_IF_ERROR(o.Check({"collector", "source"}, {}, "", warnings));
  std::string kind = "StdOut";
  if (o.Has("collector")) {
    SpecObject c(o.At("collector"), o.PathOf("collector"));
    CORRAL_RETURN_IF_ERROR(c.Check({"kind"}, {"customCollector"}, kK8sOnly, warnings));
    CORRAL_ASSIGN_OR_RETURN(auto given, c.String("kind"));
    if (given) kind = *given;
    if (kind != "StdOut" && kind != "File" && kind != "None" && kind != "Push")
      return InvalidArgument(
          c.PathOf("kind"),
          "collector '" + kind + "' is not supported (StdOut, File, Push or None)");
  }
  // File reads only the file, as Katib's file collector does; Push and None only pushed values.
  spec.collect_stdout = kind == "StdOut";
  if (o.Has("source")) {
    SpecObject s(o.At("source"), o.PathOf("source"));
    CORRAL_RETURN_IF_ERROR(s.Check({"filter", "fileSystemPath"}, {"httpGet"},
                                   "only stdout and files are collected", warnings));
    if (s.Has("filter")) {
      SpecObject f(s.At("filter"), s.PathOf("filter"));
      CORRAL_RETURN_IF_ERROR(f.Check({"metricsFormat"}, {}, "", warnings));
      CORRAL_ASSIGN_OR_RETURN(spec.metrics_filters, f.StringList("metricsFormat"));
    }
    if (s.Has("fileSystemPath")) {
      SpecObject p(s.At("fileSystemPath"), s.PathOf("fileSystemPath"));
      CORRAL_RETURN_IF_ERROR(p.Check({"path", "kind", "format"}, {}, "", warnings));
      if (kind != "File")
        return InvalidArgument(p.PathOf("path"), "is read only with collector kind File");
      CORRAL_ASSIGN_OR_RETURN(auto path_kind, p.String("kind"));
      if (path_kind && *path_kind != "File")
        return InvalidArgument(p.PathOf("kind"),
                               "must be File (directories are TensorFlow events)");
      CORRAL_ASSIGN_OR_RETURN(spec.metrics_file, ReadMetricsFile(p));
    }
  }
  if (kind == "File" && !spec.metrics_file)
    return InvalidArgument("spec.metricsCollectorSpec.source.fileSystemPath.path",
                           "is required with collector kind File");
  return Status::Ok();
}

}  // namespace

Result<ParsedSpec> ParseKatibSpec(const json& doc, const SpecDefaults& defaults) {
  ParsedSpec out;
  out.format = "katib";
  ExperimentSpec& spec = out.spec;
  auto& warnings = out.warnings;
  SpecObject top(doc, "");
  CORRAL_RETURN_IF_ERROR(top.Check({"apiVersion", "kind", "metadata", "spec"}, {"status"},
                                   "status is written by the server", warnings));
  CORRAL_ASSIGN_OR_RETURN(auto api_version, top.String("apiVersion"));
  if (!api_version || *api_version != "kubeflow.org/v1beta1")
    return InvalidArgument("apiVersion", "must be kubeflow.org/v1beta1");
  CORRAL_ASSIGN_OR_RETURN(auto kind, top.String("kind"));
  if (!kind || *kind != "Experiment") return InvalidArgument("kind", "must be Experiment");
  if (!top.Has("metadata")) return InvalidArgument("metadata.name", "is required");
  SpecObject meta(top.At("metadata"), "metadata");
  CORRAL_RETURN_IF_ERROR(meta.Check(
      {"name", "labels"},
      {"namespace", "annotations", "generateName", "uid", "resourceVersion", "creationTimestamp",
       "finalizers", "ownerReferences", "generation", "managedFields"},
      kK8sOnly, warnings));
  CORRAL_ASSIGN_OR_RETURN(auto name, meta.String("name"));
  if (!name || name->empty()) return InvalidArgument("metadata.name", "is required");
  spec.name = *name;

  if (!top.Has("spec")) return InvalidArgument("spec", "is required");
  SpecObject s(top.At("spec"), "spec");
  CORRAL_RETURN_IF_ERROR(
      s.Check({"objective", "algorithm", "earlyStopping", "parameters", "parallelTrialCount",
               "maxTrialCount", "maxFailedTrialCount", "trialTemplate", "metricsCollectorSpec",
               "resumePolicy", "nasConfig"},
              {}, "", warnings));
  if (s.Has("nasConfig"))
    return InvalidArgument("spec.nasConfig", "neural architecture search is not supported");
  if (!s.Has("objective")) return InvalidArgument("spec.objective", "is required");
  CORRAL_RETURN_IF_ERROR(ReadObjective(s.At("objective"), spec, warnings));
  spec.study.direction = spec.objective.direction;

  if (!s.Has("parameters")) return InvalidArgument("spec.parameters", "is required");
  CORRAL_ASSIGN_OR_RETURN(auto params, ReadParameters(s.At("parameters"), warnings));
  auto space = tune::SearchSpaceFromKatib(params);
  if (!space.ok()) return UnderSpec(space.status());
  spec.study.space = std::move(*space);

  if (!s.Has("algorithm")) return InvalidArgument("spec.algorithm", "is required");
  SpecObject alg(s.At("algorithm"), "spec.algorithm");
  CORRAL_RETURN_IF_ERROR(alg.Check({"algorithmName", "algorithmSettings"}, {}, "", warnings));
  CORRAL_ASSIGN_OR_RETURN(auto alg_name, alg.String("algorithmName"));
  if (!alg_name) return InvalidArgument(alg.PathOf("algorithmName"), "is required");
  CORRAL_ASSIGN_OR_RETURN(auto alg_settings, ReadSettings(alg, "algorithmSettings", warnings));
  auto algorithm = tune::AlgorithmFromKatib(*alg_name, alg_settings);
  if (!algorithm.ok()) return UnderSpec(algorithm.status());
  spec.study.sampler = algorithm->sampler;
  if (algorithm->pruner) spec.study.pruner = *algorithm->pruner;
  if (algorithm->seed) spec.study.seed = *algorithm->seed;
  spec.step_metric = algorithm->resource_name;

  if (s.Has("earlyStopping")) {
    SpecObject es(s.At("earlyStopping"), "spec.earlyStopping");
    CORRAL_RETURN_IF_ERROR(es.Check({"algorithmName", "algorithmSettings"}, {}, "", warnings));
    CORRAL_ASSIGN_OR_RETURN(auto es_name, es.String("algorithmName"));
    if (!es_name) return InvalidArgument(es.PathOf("algorithmName"), "is required");
    CORRAL_ASSIGN_OR_RETURN(auto es_settings, ReadSettings(es, "algorithmSettings", warnings));
    if (algorithm->pruner)
      return InvalidArgument("spec.earlyStopping",
                             "cannot be combined with an algorithm that stops trials itself");
    auto pruner = tune::EarlyStoppingFromKatib(*es_name, es_settings);
    if (!pruner.ok()) return UnderSpec(pruner.status());
    spec.study.pruner = *pruner;
  }

  CORRAL_RETURN_IF_ERROR(ReadTrialCounts(s, spec));
  CORRAL_ASSIGN_OR_RETURN(auto resume, s.String("resumePolicy"));
  if (resume && *resume != "Never" && *resume != "LongRunning" && *resume != "FromVolume")
    return InvalidArgument("spec.resumePolicy", "must be Never, LongRunning or FromVolume");
  if (resume && *resume != "LongRunning")
    warnings.push_back("spec.resumePolicy: ignored (every experiment here can be resumed)");

  if (!s.Has("trialTemplate")) return InvalidArgument("spec.trialTemplate", "is required");
  CORRAL_RETURN_IF_ERROR(ReadTrialTemplate(s.At("trialTemplate"), spec, warnings));
  if (s.Has("metricsCollectorSpec"))
    CORRAL_RETURN_IF_ERROR(ReadCollector(s.At("metricsCollectorSpec"), spec, warnings));

  if (spec.trial.workdir.empty()) spec.trial.workdir = defaults.workdir;
  Status valid = ValidateExperimentSpec(spec);
  if (!valid.ok()) return KatibFieldOf(valid);
  return out;
}

// Shared checks name native paths; map them back to Katib's.
Status KatibFieldOf(const Status& native) {
  std::string field = native.field();
  if (field == "name")
    field = "metadata.name";
  else if (field.rfind("trial.", 0) == 0)
    field = "spec.trialTemplate.trialSpec (" + field + ")";
  else if (field.rfind("metricsFilters", 0) == 0)
    field = "spec.metricsCollectorSpec.source.filter.metricsFormat" + field.substr(14);
  else if (field.rfind("metricsFile", 0) == 0)
    field = "spec.metricsCollectorSpec.source.fileSystemPath" + field.substr(11);
  else
    field = "spec." + field;
  return Status(native.code(), native.message(), field);
}

}  // namespace corral::experiments
