#include "experiments/trial_template.h"

#include <regex>

namespace corral::experiments {
namespace {

const std::regex& PlaceholderPattern() {
  static const std::regex re(R"(\$\{trialParameters\.([A-Za-z0-9_.-]+)\})");
  return re;
}

Status CheckText(const std::string& text, const std::string& field,
                 const std::map<std::string, std::string>& placeholders) {
  for (auto it = std::sregex_iterator(text.begin(), text.end(), PlaceholderPattern());
       it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[1].str();
    if (!placeholders.count(name))
      return InvalidArgument(field, "unknown trial parameter '" + name + "'");
  }
  return Status::Ok();
}

}  // namespace

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
                                   const std::map<std::string, std::string>& values) {
  std::string out;
  auto last = text.cbegin();
  for (auto it = std::sregex_iterator(text.begin(), text.end(), PlaceholderPattern());
       it != std::sregex_iterator(); ++it) {
    out.append(last, text.cbegin() + it->position());
    auto v = values.find((*it)[1].str());
    out += v == values.end() ? it->str() : v->second;
    last = text.cbegin() + it->position() + it->length();
  }
  out.append(last, text.cend());
  return out;
}

JobSpec BuildTrialJob(const ExperimentSpec& spec, const std::map<std::string, std::string>& values,
                      const TrialJobContext& context) {
  JobSpec job;
  job.name = spec.name + "-trial-" + std::to_string(context.trial_number);
  for (const auto& arg : spec.trial.command)
    job.command.push_back(SubstitutePlaceholders(arg, values));
  job.script = SubstitutePlaceholders(spec.trial.script, values);
  for (const auto& [k, v] : spec.trial.env) job.env[k] = SubstitutePlaceholders(v, values);
  job.env["CORRAL_EXPERIMENT"] = std::to_string(context.experiment_id);
  job.env["CORRAL_TRIAL"] = std::to_string(context.trial_number);
  if (!context.server_url.empty()) job.env["CORRAL_URL"] = context.server_url;
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
