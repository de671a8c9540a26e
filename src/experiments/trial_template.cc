#include "experiments/trial_template.h"

#include <regex>

namespace corral::experiments {
namespace {

// `${trialParameters.X}` (a parameter's value) and Katib's `${trialSpec.Name}` (the trial's name).
const std::regex& PlaceholderPattern() {
  static const std::regex re(R"(\$\{(trialParameters|trialSpec)\.([A-Za-z0-9_.-]+)\})");
  return re;
}

}  // namespace

Status CheckText(const std::string& text, const std::string& field,
                 const std::map<std::string, std::string>& placeholders) {
  for (auto it = std::sregex_iterator(text.begin(), text.end(), PlaceholderPattern());
       it != std::sregex_iterator(); ++it) {
    const std::string kind = (*it)[1].str(), name = (*it)[2].str();
    if (kind == "trialSpec" && name != "Name")
      return InvalidArgument(field,
                             "only ${trialSpec.Name} is known here, not ${trialSpec." + name + "}");
    if (kind == "trialParameters" && !placeholders.count(name))
      return InvalidArgument(field, "unknown trial parameter '" + name + "'");
  }
  return Status::Ok();
}

bool HasPlaceholder(const std::string& text) {
  return std::regex_search(text, PlaceholderPattern());
}

Status CheckPlaceholders(const TrialTemplate& trial,
                         const std::map<std::string, std::string>& placeholders) {
  for (size_t i = 0; i < trial.command.size(); ++i)
    CORRAL_RETURN_IF_ERROR(
        CheckText(trial.command[i], "trial.command[" + std::to_string(i) + "]", placeholders));
  CORRAL_RETURN_IF_ERROR(CheckText(trial.script, "trial.script", placeholders));
  for (const auto& [k, v] : trial.env)
    CORRAL_RETURN_IF_ERROR(CheckText(v, "trial.env." + k, placeholders));
  return Status::Ok();
}

std::string SubstitutePlaceholders(const std::string& text,
                                   const std::map<std::string, std::string>& values,
                                   const std::string& trial_name) {
  std::string out;
  auto last = text.cbegin();
  for (auto it = std::sregex_iterator(text.begin(), text.end(), PlaceholderPattern());
       it != std::sregex_iterator(); ++it) {
    out.append(last, text.cbegin() + it->position());
    if ((*it)[1].str() == "trialSpec") {
      out += trial_name;
    } else {
      auto v = values.find((*it)[2].str());
      out += v == values.end() ? it->str() : v->second;
    }
    last = text.cbegin() + it->position() + it->length();
  }
  out.append(last, text.cend());
  return out;
}

std::string TrialName(const ExperimentSpec& spec, int64_t trial_number) {
  return spec.name + "-trial-" + std::to_string(trial_number);
}

JobSpec BuildTrialJob(const ExperimentSpec& spec, const std::map<std::string, std::string>& values,
                      const TrialJobContext& context) {
  JobSpec job;
  job.name = TrialName(spec, context.trial_number);
  for (const auto& arg : spec.trial.command)
    job.command.push_back(SubstitutePlaceholders(arg, values, job.name));
  job.script = SubstitutePlaceholders(spec.trial.script, values, job.name);
  for (const auto& [k, v] : spec.trial.env)
    job.env[k] = SubstitutePlaceholders(v, values, job.name);
  job.env["CORRAL_EXPERIMENT"] = std::to_string(context.experiment_id);
  job.env["CORRAL_TRIAL"] = std::to_string(context.trial_number);
  if (!context.server_url.empty()) job.env["CORRAL_URL"] = context.server_url;
  if (spec.metrics_file) {
    std::string path = SubstitutePlaceholders(spec.metrics_file->path, values, job.name);
    if (!path.empty() && path[0] != '/') path = spec.trial.workdir + "/" + path;
    job.env["CORRAL_METRICS_FILE"] = path;
    job.env["CORRAL_METRICS_FORMAT"] = MetricsFileFormatName(spec.metrics_file->format);
  }
  job.resources = spec.trial.resources;
  job.priority = spec.trial.priority;
  job.preemptible = spec.trial.priority == PriorityClass::kOpportunistic;
  job.queue = spec.trial.queue;
  job.workdir = spec.trial.workdir;
  job.time_limit = spec.trial.time_limit;
  job.labels["corral.experiment"] = std::to_string(context.experiment_id);
  job.labels["corral.trial"] = std::to_string(context.trial_number);
  return job;
}

}  // namespace corral::experiments
