// The native experiment spec (docs/experiments.md) and the dispatch between formats.
#include "experiments/experiment_spec.h"

#include <nlohmann/json.hpp>

#include <regex>

#include "experiments/spec_reader.h"
#include "experiments/trial_template.h"
#include "model/field_rules.h"

namespace corral::experiments {

using nlohmann::json;

const char* const kDefaultMetricsFilter = R"(([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?))";

std::optional<MetricsFileFormat> ParseMetricsFileFormat(std::string_view text) {
  // Katib writes TEXT and JSON.
  if (text == "text" || text == "TEXT") return MetricsFileFormat::kText;
  if (text == "json" || text == "JSON") return MetricsFileFormat::kJson;
  return std::nullopt;
}

const char* MetricsFileFormatName(MetricsFileFormat format) {
  return format == MetricsFileFormat::kJson ? "json" : "text";
}

namespace {

Status CheckFilter(const std::string& filter, const std::string& field) {
  try {
    std::regex re(filter);
    if (re.mark_count() < 2)
      return InvalidArgument(field, "needs two groups: the metric's name and its value");
  } catch (const std::regex_error& e) {
    return InvalidArgument(field, std::string("invalid regular expression: ") + e.what());
  }
  return Status::Ok();
}

Result<MetricStrategy> ParseStrategy(const std::string& s, const std::string& field) {
  if (s == "latest") return MetricStrategy::kLatest;
  if (s == "min") return MetricStrategy::kMin;
  if (s == "max") return MetricStrategy::kMax;
  return InvalidArgument(field, "must be latest, min or max");
}

const char* StrategyName(MetricStrategy s) {
  switch (s) {
    case MetricStrategy::kMin:
      return "min";
    case MetricStrategy::kMax:
      return "max";
    case MetricStrategy::kLatest:
      break;
  }
  return "latest";
}

// Re-roots a tune error ("params[2].low") under the spec's field name ("parameters[2].low").
Status Reroot(const Status& s, const std::string& from, const std::string& to) {
  std::string field = s.field();
  if (field.compare(0, from.size(), from) == 0) field = to + field.substr(from.size());
  return Status(s.code(), s.message(), field);
}

Result<TrialTemplate> ParseNativeTrial(const json& j, std::vector<std::string>& warnings) {
  SpecObject o(j, "trial");
  CORRAL_RETURN_IF_ERROR(o.Check(
      {"command", "script", "env", "resources", "priority", "queue", "workdir", "timeLimitSeconds"},
      {}, "", warnings));
  TrialTemplate t;
  CORRAL_ASSIGN_OR_RETURN(t.command, o.StringList("command"));
  CORRAL_ASSIGN_OR_RETURN(auto script, o.String("script"));
  if (script) t.script = *script;
  if (t.command.empty() == t.script.empty())
    return InvalidArgument("trial.command", "give exactly one of command (a list) or script");
  if (o.Has("env")) {
    const json& env = o.At("env");
    if (!env.is_object()) return InvalidArgument("trial.env", "must be an object of strings");
    for (auto it = env.begin(); it != env.end(); ++it) {
      auto text = SpecObject::ScalarText(it.value());
      if (!text) return InvalidArgument("trial.env." + it.key(), "must be a string");
      t.env[it.key()] = *text;
    }
  }
  if (o.Has("resources")) {
    SpecObject r(o.At("resources"), "trial.resources");
    CORRAL_RETURN_IF_ERROR(r.Check({"gpus", "cpus", "memoryMb"}, {}, "", warnings));
    CORRAL_ASSIGN_OR_RETURN(auto gpus, r.Int("gpus", 0, 1024));
    CORRAL_ASSIGN_OR_RETURN(auto cpus, r.Int("cpus", 0, 4096));
    CORRAL_ASSIGN_OR_RETURN(auto mem, r.Int("memoryMb", 0, int64_t{1} << 40));
    if (gpus) t.resources.gpus = static_cast<int>(*gpus);
    if (cpus) t.resources.cpus = static_cast<int>(*cpus);
    if (mem) t.resources.memory_mb = *mem;
  }
  CORRAL_ASSIGN_OR_RETURN(auto priority, o.String("priority"));
  if (priority) {
    auto p = ParsePriorityClass(*priority);
    if (!p)
      return InvalidArgument("trial.priority",
                             "must be opportunistic, normal, high or interactive");
    t.priority = *p;
  }
  CORRAL_ASSIGN_OR_RETURN(auto queue, o.String("queue"));
  if (queue) t.queue = *queue;
  CORRAL_ASSIGN_OR_RETURN(auto workdir, o.String("workdir"));
  if (workdir) t.workdir = *workdir;
  CORRAL_ASSIGN_OR_RETURN(auto limit, o.Int("timeLimitSeconds", 1, int64_t{1} << 31));
  if (limit) t.time_limit = Duration(*limit * 1000);
  return t;
}

json TrialToJson(const TrialTemplate& t) {
  json j = json::object();
  if (!t.command.empty()) j["command"] = t.command;
  if (!t.script.empty()) j["script"] = t.script;
  if (!t.env.empty()) j["env"] = t.env;
  j["resources"] = {
      {"gpus", t.resources.gpus}, {"cpus", t.resources.cpus}, {"memoryMb", t.resources.memory_mb}};
  j["priority"] = std::string(PriorityClassName(t.priority));
  j["queue"] = t.queue;
  if (!t.workdir.empty()) j["workdir"] = t.workdir;
  if (t.time_limit) j["timeLimitSeconds"] = t.time_limit->count() / 1000;
  return j;
}

}  // namespace

namespace {

// The same field rules as a job's, since each trial becomes one.
Status CheckTrialTemplate(const TrialTemplate& t) {
  CORRAL_RETURN_IF_ERROR(rules::CheckArgv("trial.command", t.command));
  CORRAL_RETURN_IF_ERROR(rules::CheckScript("trial.script", t.script));
  CORRAL_RETURN_IF_ERROR(rules::CheckEnv("trial.env", t.env));
  CORRAL_RETURN_IF_ERROR(rules::CheckName("trial.queue", t.queue));
  // A relative workdir is taken from the server's working directory; it must not climb out of it.
  if (!t.workdir.empty())
    CORRAL_RETURN_IF_ERROR(rules::CheckContainedPath("trial.workdir", t.workdir));
  return Status::Ok();
}

}  // namespace

Status CheckExperimentFields(const ExperimentSpec& spec) {
  CORRAL_RETURN_IF_ERROR(rules::CheckName("name", spec.name));
  CORRAL_RETURN_IF_ERROR(CheckTrialTemplate(spec.trial));
  if (spec.metrics_file)
    CORRAL_RETURN_IF_ERROR(rules::CheckContainedPath("metricsFile.path", spec.metrics_file->path));
  return Status::Ok();
}

Status ValidateExperimentSpec(const ExperimentSpec& spec) {
  if (spec.parallel_trials > spec.max_trials)
    return InvalidArgument("parallelTrialCount", "must not exceed maxTrialCount");
  if (spec.metrics_file) {
    const std::string& path = spec.metrics_file->path;
    if (path.empty()) return InvalidArgument("metricsFile.path", "is required");
    CORRAL_RETURN_IF_ERROR(CheckText(path, "metricsFile.path", spec.trial_parameters));
    if (path[0] != '/' && spec.trial.workdir.empty())
      return InvalidArgument("metricsFile.path", "must be absolute unless trial.workdir is set");
    if (spec.parallel_trials > 1 && !HasPlaceholder(path))
      return InvalidArgument("metricsFile.path",
                             "parallel trials would all write this one file; put ${trialSpec.Name} "
                             "(or a trial parameter) in the path");
  }
  for (size_t i = 0; i < spec.metrics_filters.size(); ++i)
    CORRAL_RETURN_IF_ERROR(
        CheckFilter(spec.metrics_filters[i], "metricsFilters[" + std::to_string(i) + "]"));
  for (const auto& [placeholder, param] : spec.trial_parameters)
    if (!spec.study.space.IndexOf(param))
      return InvalidArgument("trialParameters." + placeholder,
                             "refers to '" + param + "', which is not a parameter");
  return CheckPlaceholders(spec.trial, spec.trial_parameters);
}

Status ReadTrialCounts(const SpecObject& o, ExperimentSpec& spec) {
  CORRAL_ASSIGN_OR_RETURN(auto parallel, o.Int("parallelTrialCount", 1, 10000));
  CORRAL_ASSIGN_OR_RETURN(auto max_trials, o.Int("maxTrialCount", 1, 100000));
  CORRAL_ASSIGN_OR_RETURN(auto max_failed, o.Int("maxFailedTrialCount", 0, 100000));
  if (max_trials) spec.max_trials = static_cast<int>(*max_trials);
  if (parallel)
    spec.parallel_trials = static_cast<int>(*parallel);
  else
    spec.parallel_trials = std::min(spec.parallel_trials, spec.max_trials);
  if (max_failed) spec.max_failed_trials = static_cast<int>(*max_failed);
  return Status::Ok();
}

Result<MetricsFileSpec> ReadMetricsFile(const SpecObject& o) {
  MetricsFileSpec file;
  CORRAL_ASSIGN_OR_RETURN(auto path, o.String("path"));
  if (path) file.path = *path;
  CORRAL_ASSIGN_OR_RETURN(auto format, o.String("format"));
  if (format) {
    auto parsed = ParseMetricsFileFormat(*format);
    if (!parsed) return InvalidArgument(o.PathOf("format"), "must be text or json (TEXT, JSON)");
    file.format = *parsed;
  }
  return file;
}

Result<ParsedSpec> ParseNativeSpec(const json& doc, const SpecDefaults& defaults) {
  ParsedSpec out;
  ExperimentSpec& spec = out.spec;
  out.format = "native";
  SpecObject o(doc, "");
  CORRAL_RETURN_IF_ERROR(
      o.Check({"name", "objective", "parameters", "algorithm", "earlyStopping", "seed",
               "parallelTrialCount", "maxTrialCount", "maxFailedTrialCount", "metricsFilters",
               "collectStdout", "metricsFile", "stepMetric", "trialParameters", "trial"},
              {}, "", out.warnings));
  CORRAL_ASSIGN_OR_RETURN(auto name, o.String("name"));
  if (!name || name->empty()) return InvalidArgument("name", "is required");
  spec.name = *name;

  if (!o.Has("objective")) return InvalidArgument("objective", "is required");
  SpecObject obj(o.At("objective"), "objective");
  CORRAL_RETURN_IF_ERROR(obj.Check({"metric", "direction", "goal", "additionalMetrics", "strategy"},
                                   {}, "", out.warnings));
  CORRAL_ASSIGN_OR_RETURN(auto metric, obj.String("metric"));
  if (!metric || metric->empty()) return InvalidArgument("objective.metric", "is required");
  spec.objective.metric = *metric;
  CORRAL_ASSIGN_OR_RETURN(auto direction, obj.String("direction"));
  if (direction && *direction == "maximize") {
    spec.objective.direction = tune::Direction::kMaximize;
  } else if (direction && *direction != "minimize") {
    return InvalidArgument("objective.direction", "must be minimize or maximize");
  }
  CORRAL_ASSIGN_OR_RETURN(spec.objective.goal, obj.Number("goal"));
  CORRAL_ASSIGN_OR_RETURN(spec.objective.additional_metrics, obj.StringList("additionalMetrics"));
  CORRAL_ASSIGN_OR_RETURN(auto strategy, obj.String("strategy"));
  if (strategy) {
    CORRAL_ASSIGN_OR_RETURN(spec.objective.strategy,
                            ParseStrategy(*strategy, "objective.strategy"));
  }

  if (!o.Has("parameters")) return InvalidArgument("parameters", "is required");
  auto space = tune::SearchSpace::FromJson(json{{"params", o.At("parameters")}});
  if (!space.ok()) return Reroot(space.status(), "params", "parameters");
  if (space->size() == 0) return InvalidArgument("parameters", "needs at least one parameter");
  spec.study.space = std::move(*space);
  spec.study.direction = spec.objective.direction;
  if (o.Has("algorithm")) {
    CORRAL_ASSIGN_OR_RETURN(spec.study.sampler,
                            tune::SamplerConfigFromJson(o.At("algorithm"), "algorithm"));
  }
  if (o.Has("earlyStopping")) {
    CORRAL_ASSIGN_OR_RETURN(spec.study.pruner,
                            tune::PrunerConfigFromJson(o.At("earlyStopping"), "earlyStopping"));
  }
  CORRAL_ASSIGN_OR_RETURN(auto seed, o.Int("seed", 0, INT64_MAX));
  if (seed) spec.study.seed = static_cast<uint64_t>(*seed);

  CORRAL_RETURN_IF_ERROR(ReadTrialCounts(o, spec));

  CORRAL_ASSIGN_OR_RETURN(spec.metrics_filters, o.StringList("metricsFilters"));
  CORRAL_ASSIGN_OR_RETURN(auto collect, o.Bool("collectStdout"));
  if (collect) spec.collect_stdout = *collect;
  if (o.Has("metricsFile")) {
    SpecObject f(o.At("metricsFile"), "metricsFile");
    CORRAL_RETURN_IF_ERROR(f.Check({"path", "format"}, {}, "", out.warnings));
    CORRAL_ASSIGN_OR_RETURN(spec.metrics_file, ReadMetricsFile(f));
  }
  CORRAL_ASSIGN_OR_RETURN(auto step_metric, o.String("stepMetric"));
  if (step_metric) spec.step_metric = *step_metric;

  if (o.Has("trialParameters")) {
    const json& tp = o.At("trialParameters");
    if (!tp.is_object()) return InvalidArgument("trialParameters", "must be an object");
    for (auto it = tp.begin(); it != tp.end(); ++it) {
      if (!it.value().is_string())
        return InvalidArgument("trialParameters." + it.key(), "must be a parameter name");
      spec.trial_parameters[it.key()] = it.value().get<std::string>();
    }
  } else {
    for (const auto& p : spec.study.space.params()) spec.trial_parameters[p.name] = p.name;
  }

  if (!o.Has("trial")) return InvalidArgument("trial", "is required");
  CORRAL_ASSIGN_OR_RETURN(spec.trial, ParseNativeTrial(o.At("trial"), out.warnings));
  if (spec.trial.workdir.empty()) spec.trial.workdir = defaults.workdir;
  CORRAL_RETURN_IF_ERROR(ValidateExperimentSpec(spec));
  return out;
}

json ExperimentSpecToJson(const ExperimentSpec& spec) {
  json objective = {
      {"metric", spec.objective.metric},
      {"direction",
       spec.objective.direction == tune::Direction::kMaximize ? "maximize" : "minimize"},
      {"strategy", StrategyName(spec.objective.strategy)}};
  if (spec.objective.goal) objective["goal"] = *spec.objective.goal;
  if (!spec.objective.additional_metrics.empty())
    objective["additionalMetrics"] = spec.objective.additional_metrics;
  json j = {{"name", spec.name},
            {"objective", objective},
            {"parameters", spec.study.space.ToJson()["params"]},
            {"algorithm", tune::SamplerConfigToJson(spec.study.sampler)},
            {"earlyStopping", tune::PrunerConfigToJson(spec.study.pruner)},
            {"seed", spec.study.seed},
            {"parallelTrialCount", spec.parallel_trials},
            {"maxTrialCount", spec.max_trials},
            {"collectStdout", spec.collect_stdout},
            {"trialParameters", spec.trial_parameters},
            {"trial", TrialToJson(spec.trial)}};
  if (spec.max_failed_trials) j["maxFailedTrialCount"] = *spec.max_failed_trials;
  if (!spec.metrics_filters.empty()) j["metricsFilters"] = spec.metrics_filters;
  if (!spec.step_metric.empty()) j["stepMetric"] = spec.step_metric;
  if (spec.metrics_file)
    j["metricsFile"] = {{"path", spec.metrics_file->path},
                        {"format", MetricsFileFormatName(spec.metrics_file->format)}};
  return j;
}

Result<ParsedSpec> ParseExperimentSpec(const json& doc, const SpecDefaults& defaults) {
  if (!doc.is_object()) return InvalidArgument("spec", "must be an object");
  bool katib = doc.contains("apiVersion") || doc.contains("kind");
  CORRAL_ASSIGN_OR_RETURN(ParsedSpec parsed,
                          katib ? ParseKatibSpec(doc, defaults) : ParseNativeSpec(doc, defaults));
  // Only new specs meet the field rules; stored ones load as they were accepted.
  Status fields = CheckExperimentFields(parsed.spec);
  if (!fields.ok()) return katib ? KatibFieldOf(fields) : fields;
  return parsed;
}

}  // namespace corral::experiments
