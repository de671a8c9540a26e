#include "cli/job_request.h"

#include <fmt/core.h>

#include <cctype>

#include "cli/time_format.h"

namespace corral::cli {

Result<std::pair<std::string, std::string>> ParseKeyValue(std::string_view text,
                                                          std::string_view flag) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return InvalidArgument(std::string(flag),
                           fmt::format("{} wants KEY=VALUE, got \"{}\"", flag, text));
  }
  return std::pair{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

Result<nlohmann::json> BuildJobRequest(const RunFlags& flags, const EnvLookup& env) {
  nlohmann::json body = nlohmann::json::object();
  if (!flags.name.empty()) body["name"] = flags.name;

  if (flags.script.has_value() && !flags.command.empty()) {
    return InvalidArgument("--script",
                           "give either a command after `--` or --script FILE, not both");
  }
  if (flags.script.has_value()) {
    if (flags.script->empty()) return InvalidArgument("--script", "the script is empty");
    body["script"] = *flags.script;
  } else if (!flags.command.empty()) {
    body["command"] = flags.command;
  } else {
    return InvalidArgument("command",
                           "no command to run: `corral run [flags] -- COMMAND [ARGS...]`, "
                           "--script FILE, or --file SPEC");
  }

  if (flags.replicas) body["replicas"] = *flags.replicas;
  nlohmann::json resources = nlohmann::json::object();
  if (flags.gpus) resources["gpus"] = *flags.gpus;
  if (flags.cpus) resources["cpus"] = *flags.cpus;
  if (flags.memory_mb) resources["memory_mb"] = *flags.memory_mb;
  if (!resources.empty()) body["resources"] = resources;

  if (!flags.env.empty()) {
    nlohmann::json vars = nlohmann::json::object();
    for (const auto& item : flags.env) {
      if (item.find('=') == std::string::npos && !item.empty()) {
        // docker's habit: `--env NAME` passes this shell's value on.
        auto value = env(item);
        if (!value) {
          return InvalidArgument(
              "--env", fmt::format("--env {} names a variable that is not set here", item));
        }
        vars[item] = *value;
        continue;
      }
      CORRAL_ASSIGN_OR_RETURN(auto kv, ParseKeyValue(item, "--env"));
      vars[kv.first] = kv.second;
    }
    body["env"] = vars;
  }
  if (!flags.workdir.empty()) body["workdir"] = flags.workdir;
  if (!flags.priority.empty()) body["priority"] = flags.priority;
  if (!flags.queue.empty()) body["queue"] = flags.queue;
  if (!flags.time_limit.empty()) {
    auto seconds = ParseDurationSeconds(flags.time_limit);
    if (!seconds.ok()) return InvalidArgument("--time-limit", seconds.status().message());
    body["time_limit_s"] = *seconds;
  }
  if (flags.retries) body["retry"] = {{"max_retries", *flags.retries}};
  if (!flags.labels.empty()) {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& item : flags.labels) {
      CORRAL_ASSIGN_OR_RETURN(auto kv, ParseKeyValue(item, "--label"));
      labels[kv.first] = kv.second;
    }
    body["labels"] = labels;
  }
  if (flags.preemptible) body["preemptible"] = true;
  return body;
}

std::string SpecFileContentType(std::string_view path, std::string_view text) {
  auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
  };
  if (ends_with(".json")) return "application/json";
  if (ends_with(".yaml") || ends_with(".yml")) return "application/yaml";
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    return c == '{' ? "application/json" : "application/yaml";
  }
  return "application/yaml";
}

}  // namespace corral::cli
