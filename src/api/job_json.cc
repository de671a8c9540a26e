#include "api/job_json.h"

#include "api/json_reader.h"
#include "model/field_rules.h"

namespace corral::api {
namespace {

using nlohmann::json;

constexpr int kMaxReplicas = 1024;
constexpr int kMaxGpusPerReplica = 64;
constexpr int kMaxCpusPerReplica = 4096;
constexpr int64_t kMaxMemoryMb = int64_t{64} << 20;  // 64 TiB
constexpr int64_t kMaxTimeLimitS = int64_t{366} * 24 * 3600;

// Reads an object of strings; the field rules judge keys and values afterwards.
Status ReadStringMap(const JsonObjectReader& r, const std::string& key,
                     std::map<std::string, std::string>& out) {
  if (!r.Has(key)) return Status::Ok();
  const json& v = r.At(key);
  std::string path = r.PathOf(key);
  if (!v.is_object())
    return InvalidArgument(path,
                           std::string("must be an object of strings, got ") + JsonTypeName(v));
  for (auto& [k, val] : v.items()) {
    if (!val.is_string())
      return InvalidArgument(path + "." + k,
                             std::string("must be a string, got ") + JsonTypeName(val));
    out[k] = val.get<std::string>();
  }
  return Status::Ok();
}

json OptTime(const std::optional<TimePoint>& t) { return t ? json(FormatRfc3339(*t)) : json(); }
json OptInt(const std::optional<int>& v) { return v ? json(*v) : json(); }

}  // namespace

Result<JobSpec> ParseJobSpec(const json& body) {
  JsonObjectReader r(body, "");
  CORRAL_RETURN_IF_ERROR(
      r.Check({"name", "command", "script", "replicas", "resources", "env", "workdir", "priority",
               "queue", "time_limit_s", "retry", "labels", "preemptible"}));
  JobSpec spec;
  CORRAL_ASSIGN_OR_RETURN(auto name, r.String("name"));
  if (name) {
    CORRAL_RETURN_IF_ERROR(rules::CheckName("name", *name, rules::kMaxJobNameBytes));
    spec.name = *name;
  }
  if (r.Has("command")) {
    const json& c = r.At("command");
    if (!c.is_array())
      return InvalidArgument("command",
                             std::string("must be an array of strings, got ") + JsonTypeName(c));
    if (c.empty()) return InvalidArgument("command", "must not be empty");
    if (c.size() > rules::kMaxArgs)
      return InvalidArgument("command",
                             "has more than " + std::to_string(rules::kMaxArgs) + " arguments");
    for (size_t i = 0; i < c.size(); ++i) {
      std::string p = "command[" + std::to_string(i) + "]";
      if (!c[i].is_string())
        return InvalidArgument(p, std::string("must be a string, got ") + JsonTypeName(c[i]));
      spec.command.push_back(c[i].get<std::string>());
    }
    CORRAL_RETURN_IF_ERROR(rules::CheckArgv("command", spec.command));
  }
  CORRAL_ASSIGN_OR_RETURN(auto script, r.String("script"));
  if (script) {
    if (script->empty()) return InvalidArgument("script", "must not be empty");
    CORRAL_RETURN_IF_ERROR(rules::CheckScript("script", *script));
    spec.script = *script;
  }
  if (spec.command.empty() && spec.script.empty())
    return InvalidArgument("command", "one of command or script is required");
  if (!spec.command.empty() && !spec.script.empty())
    return InvalidArgument("script", "give either command or script, not both");

  CORRAL_ASSIGN_OR_RETURN(auto replicas, r.Int("replicas", 1, kMaxReplicas));
  if (replicas) spec.replicas = static_cast<int>(*replicas);

  if (r.Has("resources")) {
    JsonObjectReader res(r.At("resources"), "resources");
    CORRAL_RETURN_IF_ERROR(res.Check({"gpus", "cpus", "memory_mb"}));
    CORRAL_ASSIGN_OR_RETURN(auto gpus, res.Int("gpus", 0, kMaxGpusPerReplica));
    CORRAL_ASSIGN_OR_RETURN(auto cpus, res.Int("cpus", 0, kMaxCpusPerReplica));
    CORRAL_ASSIGN_OR_RETURN(auto mem, res.Int("memory_mb", 0, kMaxMemoryMb));
    if (gpus) spec.resources.gpus = static_cast<int>(*gpus);
    if (cpus) spec.resources.cpus = static_cast<int>(*cpus);
    if (mem) spec.resources.memory_mb = *mem;
  }
  if (r.Has("env") && r.At("env").is_object() && r.At("env").size() > rules::kMaxEnvEntries)
    return InvalidArgument("env",
                           "has more than " + std::to_string(rules::kMaxEnvEntries) + " entries");
  if (r.Has("labels") && r.At("labels").is_object() && r.At("labels").size() > rules::kMaxLabels)
    return InvalidArgument("labels",
                           "has more than " + std::to_string(rules::kMaxLabels) + " labels");
  CORRAL_RETURN_IF_ERROR(ReadStringMap(r, "env", spec.env));
  CORRAL_RETURN_IF_ERROR(rules::CheckEnv("env", spec.env));
  CORRAL_RETURN_IF_ERROR(ReadStringMap(r, "labels", spec.labels));
  CORRAL_RETURN_IF_ERROR(rules::CheckLabels("labels", spec.labels));
  CORRAL_ASSIGN_OR_RETURN(auto workdir, r.String("workdir"));
  if (workdir && !workdir->empty()) {
    CORRAL_RETURN_IF_ERROR(rules::CheckAbsolutePath("workdir", *workdir));
    spec.workdir = *workdir;
  }
  CORRAL_ASSIGN_OR_RETURN(auto priority, r.String("priority"));
  if (priority) {
    auto p = ParsePriorityClass(*priority);
    if (!p)
      return InvalidArgument(
          "priority",
          "must be one of opportunistic, normal, high, interactive; got '" + *priority + "'");
    spec.priority = *p;
  }
  CORRAL_ASSIGN_OR_RETURN(auto queue, r.String("queue"));
  if (queue) {
    CORRAL_RETURN_IF_ERROR(rules::CheckName("queue", *queue));
    spec.queue = *queue;
  }
  CORRAL_ASSIGN_OR_RETURN(auto limit, r.Int("time_limit_s", 1, kMaxTimeLimitS));
  if (limit) spec.time_limit = Duration(*limit * 1000);
  if (r.Has("retry")) {
    JsonObjectReader retry(r.At("retry"), "retry");
    CORRAL_RETURN_IF_ERROR(retry.Check({"max_retries", "retry_on_preemption", "exit_codes"}));
    CORRAL_ASSIGN_OR_RETURN(auto max, retry.Int("max_retries", 0, 100));
    if (max) spec.retry.max_retries = static_cast<int>(*max);
    CORRAL_ASSIGN_OR_RETURN(auto on_preemption, retry.Bool("retry_on_preemption"));
    if (on_preemption) spec.retry.retry_on_preemption = *on_preemption;
    CORRAL_ASSIGN_OR_RETURN(auto exit_codes, retry.String("exit_codes"));
    if (exit_codes) {
      if (!ValidExitCodeRanges(*exit_codes))
        return InvalidArgument("retry.exit_codes",
                               "must be ranges of exit codes 0-255, like \"128-255,3\"");
      spec.retry.exit_codes = *exit_codes;
    }
  }
  CORRAL_ASSIGN_OR_RETURN(auto preemptible, r.Bool("preemptible"));
  if (preemptible) spec.preemptible = *preemptible;
  return spec;
}

json JobSpecToJson(const JobSpec& s) {
  json j;
  j["name"] = s.name;
  j["command"] = s.command.empty() ? json() : json(s.command);
  j["script"] = s.script.empty() ? json() : json(s.script);
  j["replicas"] = s.replicas;
  j["resources"] = {
      {"gpus", s.resources.gpus}, {"cpus", s.resources.cpus}, {"memory_mb", s.resources.memory_mb}};
  j["env"] = s.env;
  j["workdir"] = s.workdir;
  j["priority"] = PriorityClassName(s.priority);
  j["queue"] = s.queue;
  j["time_limit_s"] = s.time_limit ? json(s.time_limit->count() / 1000) : json();
  j["retry"] = {{"max_retries", s.retry.max_retries},
                {"retry_on_preemption", s.retry.retry_on_preemption}};
  if (!s.retry.exit_codes.empty()) j["retry"]["exit_codes"] = s.retry.exit_codes;
  j["labels"] = s.labels;
  j["preemptible"] = s.preemptible;
  return j;
}

json JobToJson(const Job& job) {
  json j;
  j["id"] = job.id.value;
  j["name"] = job.spec.name;
  j["owner"] = job.owner_name;
  j["parent"] = job.parent ? json{{"kind", ParentKindName(job.parent->kind)},
                                  {"id", job.parent->id},
                                  {"key", job.parent->child_key}}
                           : json();
  j["state"] = JobStateName(job.state);
  j["reason"] = job.reason;
  j["submitted_at"] = FormatRfc3339(job.submitted_at);
  j["started_at"] = json();
  j["ended_at"] = OptTime(job.ended_at);
  j["exit_code"] = json();
  j["attempt"] = job.attempts.empty() ? 0 : job.attempts.back().number;
  j["spec"] = JobSpecToJson(job.spec);
  json placement = json::array();
  json attempts = json::array();
  for (const Attempt& a : job.attempts) {
    json ja;
    ja["number"] = a.number;
    ja["started_at"] = OptTime(a.started_at);
    ja["ended_at"] = OptTime(a.ended_at);
    ja["exit_code"] = OptInt(a.exit_code);
    ja["end_reason"] = a.end_reason;
    json reps = json::array();
    for (const ReplicaRun& r : a.replicas) {
      reps.push_back({{"index", r.index},
                      {"node", r.placement.node},
                      {"gpus", r.placement.gpus},
                      {"state", ReplicaStateName(r.state)},
                      {"started_at", OptTime(r.started_at)},
                      {"ended_at", OptTime(r.ended_at)},
                      {"exit_code", OptInt(r.exit_code)},
                      {"signal", OptInt(r.term_signal)},
                      {"external_id", r.external_id}});
    }
    ja["replicas"] = std::move(reps);
    attempts.push_back(std::move(ja));
  }
  if (!job.attempts.empty()) {
    const Attempt& last = job.attempts.back();
    j["started_at"] = OptTime(last.started_at);
    if (IsTerminal(job.state)) j["exit_code"] = OptInt(last.exit_code);
    if (!last.ended_at) {
      for (const ReplicaRun& r : last.replicas)
        placement.push_back(
            {{"replica", r.index}, {"node", r.placement.node}, {"gpus", r.placement.gpus}});
    }
  }
  j["placement"] = std::move(placement);
  j["attempts"] = std::move(attempts);
  return j;
}

namespace {

// A JSON string literal: names, models and UUIDs are plain ASCII and copied as they are; anything
// else goes through the JSON library (escapes, invalid UTF-8 replaced).
void AppendJsonString(std::string& out, const std::string& s) {
  bool plain = true;
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  if (plain) {
    out += '"';
    out += s;
    out += '"';
  } else {
    out += json(s).dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

}  // namespace

namespace {

void AppendOptionalNumber(std::string& out, const char* key, int64_t value) {
  out += key;
  out += value >= 0 ? std::to_string(value) : std::string("null");
}

void AppendGpuUsage(std::string& out, bool simulated, bool held, const gpu::GpuSample* sample,
                    const gpu::GpuSampleCache::Snapshot* samples) {
  if (simulated) {
    out += held ? ",\"utilization_pct\":100" : ",\"utilization_pct\":0";
    out += ",\"memory_used_mb\":0";
    return;
  }
  AppendOptionalNumber(out, ",\"utilization_pct\":", sample ? sample->utilization_pct : -1);
  AppendOptionalNumber(out, ",\"memory_used_mb\":", sample ? sample->memory_used_mb : -1);
  if (sample) {
    out += ",\"sampled_at\":";
    AppendJsonString(out, FormatRfc3339(samples->sampled_at));
  }
}

}  // namespace

std::string NodesJsonText(const std::vector<jobs::NodeView>& nodes, const jobs::Caller& viewer,
                          const std::string& local_node,
                          const gpu::GpuSampleCache::Snapshot* local_samples) {
  std::string out;
  out.reserve(64 + nodes.size() * 256);
  out += "{\"nodes\":[";
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    if (i > 0) out += ',';
    out += "{\"name\":";
    AppendJsonString(out, n.name);
    out += ",\"address\":";
    AppendJsonString(out, n.address);
    out += n.up ? ",\"up\":true" : ",\"up\":false";
    out += n.simulated ? ",\"simulated\":true" : ",\"simulated\":false";
    out += ",\"cpus\":" + std::to_string(n.cpus);
    out += ",\"memory_mb\":" + std::to_string(n.memory_mb);
    out += ",\"job_accounts\":";
    AppendJsonString(out, n.job_accounts);
    out += ",\"containment\":";
    AppendJsonString(out, n.containment);
    out += ",\"gpus\":[";
    for (size_t k = 0; k < n.gpus.size(); ++k) {
      const auto& g = n.gpus[k];
      if (k > 0) out += ',';
      out += "{\"index\":" + std::to_string(g.device.index);
      out += ",\"uuid\":";
      AppendJsonString(out, g.device.uuid);
      out += ",\"model\":";
      AppendJsonString(out, g.device.model);
      out += ",\"memory_mb\":" + std::to_string(g.device.memory_mb);
      out += g.device.simulated ? ",\"simulated\":true" : ",\"simulated\":false";
      const bool show_job = g.job && (viewer.is_admin() || g.user == viewer.name);
      out += ",\"job\":" + (show_job ? std::to_string(g.job->value) : std::string("null"));
      out += ",\"user\":";
      if (g.job) {
        AppendJsonString(out, g.user);
      } else {
        out += "null";
      }
      const gpu::GpuSample* sample = nullptr;
      if (local_samples && !n.simulated && n.name == local_node)
        for (const auto& s : local_samples->samples)
          if (s.index == g.device.index) sample = &s;
      AppendGpuUsage(out, n.simulated || g.device.simulated, g.job.has_value(), sample,
                     local_samples);
      out += '}';
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

}  // namespace corral::api
