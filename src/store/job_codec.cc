#include "store/job_codec.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

namespace corral::store {
namespace {

using nlohmann::json;

// Absent keys read as the field's default, so rows written before a field existed still decode.
template <class T>
void Read(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) it->get_to(out);
}

template <class T>
void Read(const json& j, const char* key, std::optional<T>& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = it->get<T>();
}

void ReadTime(const json& j, const char* key, std::optional<TimePoint>& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = FromMillis(it->get<int64_t>());
}

template <class T>
void Write(json& j, const char* key, const std::optional<T>& value) {
  if (value) j[key] = *value;
}

void WriteTime(json& j, const char* key, const std::optional<TimePoint>& t) {
  if (t) j[key] = ToMillis(*t);
}

ReplicaState ParseReplicaState(const std::string& name) {
  if (name == "starting") return ReplicaState::kStarting;
  if (name == "running") return ReplicaState::kRunning;
  if (name == "exited") return ReplicaState::kExited;
  throw std::invalid_argument("unknown replica state \"" + name + "\"");
}

json ReplicaToJson(const ReplicaRun& r) {
  json j = {{"index", r.index},
            {"node", r.placement.node},
            {"gpus", r.placement.gpus},
            {"external_id", r.external_id},
            {"state", ReplicaStateName(r.state)}};
  WriteTime(j, "started_at", r.started_at);
  WriteTime(j, "ended_at", r.ended_at);
  Write(j, "exit_code", r.exit_code);
  Write(j, "term_signal", r.term_signal);
  return j;
}

ReplicaRun ReplicaFromJson(const json& j) {
  ReplicaRun r;
  Read(j, "index", r.index);
  Read(j, "node", r.placement.node);
  Read(j, "gpus", r.placement.gpus);
  Read(j, "external_id", r.external_id);
  std::string state;
  Read(j, "state", state);
  if (!state.empty()) r.state = ParseReplicaState(state);
  ReadTime(j, "started_at", r.started_at);
  ReadTime(j, "ended_at", r.ended_at);
  Read(j, "exit_code", r.exit_code);
  Read(j, "term_signal", r.term_signal);
  return r;
}

template <class F>
auto Guard(std::string_view what, F&& decode) -> Result<decltype(decode())> {
  try {
    return decode();
  } catch (const std::exception& e) {
    return Internal(fmt::format("corrupt {} in store: {}", what, e.what()));
  }
}

}  // namespace

std::string EncodeJobSpec(const JobSpec& spec) {
  json j = {{"name", spec.name},
            {"replicas", spec.replicas},
            {"resources",
             {{"gpus", spec.resources.gpus},
              {"cpus", spec.resources.cpus},
              {"memory_mb", spec.resources.memory_mb}}},
            {"priority", PriorityClassName(spec.priority)},
            {"queue", spec.queue},
            {"retry",
             {{"max_retries", spec.retry.max_retries},
              {"retry_on_preemption", spec.retry.retry_on_preemption}}},
            {"preemptible", spec.preemptible}};
  if (!spec.retry.exit_codes.empty()) j["retry"]["exit_codes"] = spec.retry.exit_codes;
  if (!spec.command.empty()) j["command"] = spec.command;
  if (!spec.script.empty()) j["script"] = spec.script;
  if (!spec.env.empty()) j["env"] = spec.env;
  if (!spec.workdir.empty()) j["workdir"] = spec.workdir;
  if (spec.time_limit) j["time_limit_ms"] = spec.time_limit->count();
  if (!spec.labels.empty()) j["labels"] = spec.labels;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<JobSpec> DecodeJobSpec(std::string_view text) {
  return Guard("job spec", [&] {
    json j = json::parse(text);
    JobSpec spec;
    Read(j, "name", spec.name);
    Read(j, "command", spec.command);
    Read(j, "script", spec.script);
    Read(j, "replicas", spec.replicas);
    if (auto it = j.find("resources"); it != j.end()) {
      Read(*it, "gpus", spec.resources.gpus);
      Read(*it, "cpus", spec.resources.cpus);
      Read(*it, "memory_mb", spec.resources.memory_mb);
    }
    Read(j, "env", spec.env);
    Read(j, "workdir", spec.workdir);
    std::string priority;
    Read(j, "priority", priority);
    if (!priority.empty()) {
      auto parsed = ParsePriorityClass(priority);
      if (!parsed) throw std::invalid_argument("unknown priority class \"" + priority + "\"");
      spec.priority = *parsed;
    }
    Read(j, "queue", spec.queue);
    if (auto it = j.find("time_limit_ms"); it != j.end() && !it->is_null()) {
      spec.time_limit = Duration(it->get<int64_t>());
    }
    if (auto it = j.find("retry"); it != j.end()) {
      Read(*it, "max_retries", spec.retry.max_retries);
      Read(*it, "retry_on_preemption", spec.retry.retry_on_preemption);
      Read(*it, "exit_codes", spec.retry.exit_codes);
    }
    Read(j, "labels", spec.labels);
    Read(j, "preemptible", spec.preemptible);
    return spec;
  });
}

std::string EncodeAttempts(const std::vector<Attempt>& attempts) {
  if (attempts.empty()) return {};
  json list = json::array();
  for (const Attempt& a : attempts) {
    json replicas = json::array();
    for (const ReplicaRun& r : a.replicas) replicas.push_back(ReplicaToJson(r));
    json j = {{"number", a.number}, {"replicas", std::move(replicas)}};
    WriteTime(j, "started_at", a.started_at);
    WriteTime(j, "ended_at", a.ended_at);
    Write(j, "exit_code", a.exit_code);
    if (!a.end_reason.empty()) j["end_reason"] = a.end_reason;
    list.push_back(std::move(j));
  }
  return list.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::vector<Attempt>> DecodeAttempts(std::string_view text) {
  if (text.empty()) return std::vector<Attempt>{};
  return Guard("attempt history", [&] {
    json list = json::parse(text);
    std::vector<Attempt> attempts;
    attempts.reserve(list.size());
    for (const json& j : list) {
      Attempt a;
      Read(j, "number", a.number);
      if (auto it = j.find("replicas"); it != j.end()) {
        for (const json& r : *it) a.replicas.push_back(ReplicaFromJson(r));
      }
      ReadTime(j, "started_at", a.started_at);
      ReadTime(j, "ended_at", a.ended_at);
      Read(j, "exit_code", a.exit_code);
      Read(j, "end_reason", a.end_reason);
      attempts.push_back(std::move(a));
    }
    return attempts;
  });
}

}  // namespace corral::store
