#include "workflow/spec_check.h"

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <initializer_list>
#include <map>
#include <set>

#include "common/nul_bytes.h"
#include "workflow/dag_depends.h"
#include "workflow/expression.h"
#include "workflow/loop_items.h"
#include "workflow/template_text.h"

namespace corral::workflow {

using nlohmann::json;

namespace {

struct Fields {
  std::set<std::string> known;
  std::set<std::string> ignored;  // Kubernetes-only: a warning
};

const Fields kDocument{{"apiVersion", "kind", "metadata", "spec"}, {"status"}};
const Fields kMetadata{{"name", "generateName", "labels", "annotations", "namespace"},
                       {"uid", "resourceVersion", "creationTimestamp", "generation",
                        "managedFields", "ownerReferences", "finalizers", "selfLink"}};
const Fields kSpec{{"entrypoint", "templates", "arguments", "onExit", "hooks", "parallelism",
                    "activeDeadlineSeconds", "synchronization", "templateDefaults",
                    "workflowTemplateRef", "suspend", "shutdown"},
                   {"serviceAccountName",
                    "nodeSelector",
                    "tolerations",
                    "affinity",
                    "podGC",
                    "ttlStrategy",
                    "ttlSecondsAfterFinished",
                    "securityContext",
                    "imagePullSecrets",
                    "dnsConfig",
                    "dnsPolicy",
                    "podMetadata",
                    "podSpecPatch",
                    "podDisruptionBudget",
                    "volumes",
                    "volumeClaimTemplates",
                    "volumeClaimGC",
                    "hostNetwork",
                    "priorityClassName",
                    "priority",
                    "schedulerName",
                    "metrics",
                    "archiveLogs",
                    "artifactGC",
                    "artifactRepositoryRef",
                    "executor",
                    "automountServiceAccountToken",
                    "podPriorityClassName",
                    "podPriority",
                    "hostAliases",
                    "workflowMetadata",
                    "retryStrategy",
                    "archiveLocation",
                    "podResources"}};
const Fields kTemplate{{"name",      "inputs",        "outputs",
                        "container", "script",        "containerSet",
                        "steps",     "dag",           "suspend",
                        "resource",  "http",          "data",
                        "plugin",    "retryStrategy", "activeDeadlineSeconds",
                        "timeout",   "parallelism",   "synchronization",
                        "memoize",   "failFast"},
                       {"metadata",       "nodeSelector",      "affinity",
                        "tolerations",    "securityContext",   "serviceAccountName",
                        "podSpecPatch",   "metrics",           "volumes",
                        "initContainers", "sidecars",          "archiveLocation",
                        "daemon",         "priorityClassName", "priority",
                        "schedulerName",  "hostAliases",       "automountServiceAccountToken",
                        "executor",       "artifactLocation",  "podSpecPatchYaml",
                        "podResources"}};
const Fields kContainer{
    {"image", "command", "args", "env", "workingDir", "name", "source", "dependencies"},
    {"resources", "volumeMounts", "imagePullPolicy", "securityContext", "ports", "livenessProbe",
     "readinessProbe", "startupProbe", "envFrom", "lifecycle", "terminationMessagePath",
     "terminationMessagePolicy", "stdin", "stdinOnce", "tty", "mirrorVolumeMounts",
     "volumeDevices"}};
const Fields kStep{
    {"name", "template", "templateRef", "inline", "arguments", "when", "withItems", "withParam",
     "withSequence", "continueOn", "onExit", "hooks", "dependencies", "depends"},
    {}};

// The types of the fields the engine reads: a value of another type is refused here, naming its
// path, rather than met by the engine while the workflow runs.
enum class Shape { kString, kBool, kObject, kList, kCount, kDuration };

// Durations beyond a century are mistakes; kept well inside what milliseconds in int64 hold.
constexpr double kMaxDurationS = 100.0 * 366 * 86400;
constexpr int64_t kMaxCount = 1000000;

Status Expect(const json& parent, const char* key, Shape shape, const std::string& path) {
  if (!parent.is_object() || !parent.contains(key)) return Status::Ok();
  const json& v = parent[key];
  const std::string p = path.empty() ? key : path + "." + key;
  switch (shape) {
    case Shape::kString:
      if (!v.is_string()) return InvalidArgument(p, "must be a string");
      break;
    case Shape::kBool:
      if (!v.is_boolean()) return InvalidArgument(p, "must be true or false");
      break;
    case Shape::kObject:
      if (!v.is_object()) return InvalidArgument(p, "must be an object");
      break;
    case Shape::kList:
      if (!v.is_array()) return InvalidArgument(p, "must be a list");
      break;
    case Shape::kCount:
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > kMaxCount ||
          (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(kMaxCount)))
        return InvalidArgument(p, fmt::format("must be an integer from 0 to {}", kMaxCount));
      break;
    case Shape::kDuration:
      if (v.is_number()) {
        if (!(std::fabs(v.get<double>()) <= kMaxDurationS))
          return InvalidArgument(p, "is out of range (a century at most)");
      } else if (!v.is_string()) {
        return InvalidArgument(p, "must be a number of seconds or a duration such as \"90s\"");
      }
      break;
  }
  return Status::Ok();
}

Status ExpectAll(const json& parent, std::initializer_list<std::pair<const char*, Shape>> fields,
                 const std::string& path) {
  for (const auto& [key, shape] : fields) CORRAL_RETURN_IF_ERROR(Expect(parent, key, shape, path));
  return Status::Ok();
}

// `parameters` or `artifacts` of inputs, outputs or arguments.
Status NamedList(const json& parent, const char* key, const std::string& path) {
  CORRAL_RETURN_IF_ERROR(Expect(parent, key, Shape::kList, path));
  if (!parent.contains(key)) return Status::Ok();
  const json& list = parent[key];
  for (size_t i = 0; i < list.size(); ++i) {
    const json& item = list[i];
    const std::string p = fmt::format("{}.{}[{}]", path, key, i);
    if (!item.is_object()) return InvalidArgument(p, "must be an object");
    CORRAL_RETURN_IF_ERROR(ExpectAll(item,
                                     {{"name", Shape::kString},
                                      {"valueFrom", Shape::kObject},
                                      {"path", Shape::kString},
                                      {"optional", Shape::kBool},
                                      {"raw", Shape::kObject}},
                                     p));
    for (const char* store : {"s3", "gcs", "oss", "azure", "hdfs", "artifactory"}) {
      CORRAL_RETURN_IF_ERROR(Expect(item, store, Shape::kObject, p));
      if (item.contains(store))
        CORRAL_RETURN_IF_ERROR(ExpectAll(item[store],
                                         {{"key", Shape::kString},
                                          {"blob", Shape::kString},
                                          {"path", Shape::kString},
                                          {"url", Shape::kString}},
                                         p + "." + store));
    }
  }
  return Status::Ok();
}

// inputs, outputs, arguments.
Status Io(const json& parent, const char* key, const std::string& path) {
  CORRAL_RETURN_IF_ERROR(Expect(parent, key, Shape::kObject, path));
  if (!parent.contains(key)) return Status::Ok();
  const std::string p = path.empty() ? key : path + "." + key;
  CORRAL_RETURN_IF_ERROR(NamedList(parent[key], "parameters", p));
  return NamedList(parent[key], "artifacts", p);
}

// Lifecycle hooks: {name: {template: ..., expression: ...}}.
Status Hooks(const json& parent, const std::string& path) {
  CORRAL_RETURN_IF_ERROR(Expect(parent, "hooks", Shape::kObject, path));
  if (!parent.contains("hooks")) return Status::Ok();
  for (auto it = parent["hooks"].begin(); it != parent["hooks"].end(); ++it) {
    const std::string p = path + ".hooks";
    CORRAL_RETURN_IF_ERROR(Expect(parent["hooks"], it.key().c_str(), Shape::kObject, p));
    CORRAL_RETURN_IF_ERROR(ExpectAll(it.value(),
                                     {{"template", Shape::kString}, {"expression", Shape::kString}},
                                     p + "." + it.key()));
  }
  return Status::Ok();
}

struct Checker {
  std::vector<std::string> warnings;

  Status Object(const json& j, const std::string& path, const Fields& f) {
    if (!j.is_object()) return InvalidArgument(path, "must be an object");
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      std::string p = path.empty() ? k : path + "." + k;
      if (f.known.count(k)) continue;
      if (f.ignored.count(k)) {
        warnings.push_back(p + ": ignored (Kubernetes-only)");
        continue;
      }
      return InvalidArgument(p, "unknown field");
    }
    return Status::Ok();
  }

  Status Text(const json& j, const std::string& path) {
    if (j.is_string()) {
      Status s = CheckTags(j.get<std::string>());
      if (!s.ok()) return InvalidArgument(path, s.message());
    } else if (j.is_array() || j.is_object()) {
      size_t i = 0;
      for (auto it = j.begin(); it != j.end(); ++it, ++i) {
        std::string p = j.is_array() ? fmt::format("{}[{}]", path, i) : path + "." + it.key();
        CORRAL_RETURN_IF_ERROR(Text(*it, p));
      }
    }
    return Status::Ok();
  }

  Status Container(const json& c, const std::string& path) {
    CORRAL_RETURN_IF_ERROR(Object(c, path, kContainer));
    for (const char* k : {"command", "args"})
      if (c.contains(k) && !c[k].is_array())
        return InvalidArgument(path + "." + k, "must be a list");
    CORRAL_RETURN_IF_ERROR(ExpectAll(c,
                                     {{"name", Shape::kString},
                                      {"image", Shape::kString},
                                      {"workingDir", Shape::kString},
                                      {"source", Shape::kString},
                                      {"env", Shape::kList},
                                      {"dependencies", Shape::kList}},
                                     path));
    if (c.contains("env")) {
      for (size_t i = 0; i < c["env"].size(); ++i) {
        const json& e = c["env"][i];
        const std::string p = fmt::format("{}.env[{}]", path, i);
        if (!e.is_object()) return InvalidArgument(p, "must be an object");
        if (!e.contains("name")) return InvalidArgument(p + ".name", "is required");
        CORRAL_RETURN_IF_ERROR(Expect(e, "name", Shape::kString, p));
      }
    }
    return Status::Ok();
  }

  Status When(const json& step, const std::string& path) {
    if (!step.contains("when")) return Status::Ok();
    if (!step["when"].is_string() && !step["when"].is_boolean())
      return InvalidArgument(path + ".when", "must be a string");
    std::string w = step["when"].is_string() ? step["when"].get<std::string>() : "true";
    // {{= expr}} tags are checked as expr; plain tags become a word for the syntax check.
    std::string plain;
    size_t pos = 0;
    while (true) {
      size_t open = w.find("{{", pos);
      if (open == std::string::npos) break;
      size_t close = w.find("}}", open);
      if (close == std::string::npos) break;
      plain += w.substr(pos, open - pos) + "x";
      pos = close + 2;
    }
    plain += w.substr(pos);
    Status s = CheckSyntax(plain, Dialect::kGovaluate);
    if (!s.ok()) return InvalidArgument(path + ".when", s.message());
    return Status::Ok();
  }

  Status Step(const json& step, const std::string& path, const std::set<std::string>& names,
              bool local_names) {
    CORRAL_RETURN_IF_ERROR(Object(step, path, kStep));
    if (!step.contains("name")) return InvalidArgument(path + ".name", "is required");
    CORRAL_RETURN_IF_ERROR(ExpectAll(step,
                                     {{"name", Shape::kString},
                                      {"template", Shape::kString},
                                      {"templateRef", Shape::kObject},
                                      {"onExit", Shape::kString},
                                      {"continueOn", Shape::kObject}},
                                     path));
    if (step.contains("templateRef"))
      CORRAL_RETURN_IF_ERROR(ExpectAll(
          step["templateRef"],
          {{"name", Shape::kString}, {"template", Shape::kString}, {"clusterScope", Shape::kBool}},
          path + ".templateRef"));
    if (step.contains("continueOn"))
      CORRAL_RETURN_IF_ERROR(ExpectAll(step["continueOn"],
                                       {{"failed", Shape::kBool}, {"error", Shape::kBool}},
                                       path + ".continueOn"));
    CORRAL_RETURN_IF_ERROR(Io(step, "arguments", path));
    CORRAL_RETURN_IF_ERROR(Hooks(step, path));
    if (step.contains("template")) {
      std::string t = step["template"].is_string() ? step["template"].get<std::string>() : "";
      if (local_names && !names.count(t))
        return InvalidArgument(path + ".template", "no template named '" + t + "'");
    } else if (step.contains("templateRef")) {
      const json& r = step["templateRef"];
      if (!r.is_object() || !r.contains("name") || !r.contains("template"))
        return InvalidArgument(path + ".templateRef", "needs name and template");
    } else if (step.contains("inline")) {
      CORRAL_RETURN_IF_ERROR(Template(step["inline"], path + ".inline", names, local_names));
    } else {
      return InvalidArgument(path, "needs template, templateRef or inline");
    }
    for (const char* hook : {"onExit"})
      if (step.contains(hook) && local_names && !names.count(step[hook].get<std::string>()))
        return InvalidArgument(path + "." + hook,
                               "no template named '" + step[hook].get<std::string>() + "'");
    CORRAL_RETURN_IF_ERROR(When(step, path));
    // A loop already known to be too large is refused now, not when its step is reached.
    if (Status s = CheckLoopAsSubmitted(step); !s.ok())
      return InvalidArgument(path + "." + s.field(), s.message());
    return Status::Ok();
  }

  Status Synchronization(const json& sync, const std::string& p) {
    CORRAL_RETURN_IF_ERROR(
        ExpectAll(sync, {{"mutex", Shape::kObject}, {"semaphore", Shape::kObject}}, p));
    if (sync.contains("mutex"))
      CORRAL_RETURN_IF_ERROR(Expect(sync["mutex"], "name", Shape::kString, p + ".mutex"));
    if (sync.contains("semaphore")) {
      CORRAL_RETURN_IF_ERROR(
          Expect(sync["semaphore"], "configMapKeyRef", Shape::kObject, p + ".semaphore"));
      if (sync["semaphore"].contains("configMapKeyRef"))
        CORRAL_RETURN_IF_ERROR(ExpectAll(sync["semaphore"]["configMapKeyRef"],
                                         {{"name", Shape::kString}, {"key", Shape::kString}},
                                         p + ".semaphore.configMapKeyRef"));
    }
    return Status::Ok();
  }

  Status TemplateShapes(const json& t, const std::string& path) {
    CORRAL_RETURN_IF_ERROR(Io(t, "inputs", path));
    CORRAL_RETURN_IF_ERROR(Io(t, "outputs", path));
    CORRAL_RETURN_IF_ERROR(ExpectAll(t,
                                     {{"retryStrategy", Shape::kObject},
                                      {"memoize", Shape::kObject},
                                      {"synchronization", Shape::kObject},
                                      {"parallelism", Shape::kCount},
                                      {"activeDeadlineSeconds", Shape::kDuration},
                                      {"timeout", Shape::kDuration},
                                      {"failFast", Shape::kBool}},
                                     path));
    if (t.contains("retryStrategy")) {
      const json& rs = t["retryStrategy"];
      const std::string p = path + ".retryStrategy";
      CORRAL_RETURN_IF_ERROR(ExpectAll(rs,
                                       {{"retryPolicy", Shape::kString},
                                        {"expression", Shape::kString},
                                        {"backoff", Shape::kObject}},
                                       p));
      if (rs.contains("backoff"))
        CORRAL_RETURN_IF_ERROR(ExpectAll(rs["backoff"],
                                         {{"duration", Shape::kDuration},
                                          {"cap", Shape::kDuration},
                                          {"maxDuration", Shape::kDuration}},
                                         p + ".backoff"));
    }
    if (t.contains("memoize")) {
      const json& m = t["memoize"];
      const std::string p = path + ".memoize";
      CORRAL_RETURN_IF_ERROR(ExpectAll(
          m, {{"key", Shape::kString}, {"maxAge", Shape::kDuration}, {"cache", Shape::kObject}},
          p));
      if (m.contains("cache")) {
        CORRAL_RETURN_IF_ERROR(Expect(m["cache"], "configMap", Shape::kObject, p + ".cache"));
        if (m["cache"].contains("configMap"))
          CORRAL_RETURN_IF_ERROR(
              Expect(m["cache"]["configMap"], "name", Shape::kString, p + ".cache.configMap"));
      }
    }
    if (t.contains("synchronization"))
      CORRAL_RETURN_IF_ERROR(Synchronization(t["synchronization"], path + ".synchronization"));
    if (t.contains("dag"))
      CORRAL_RETURN_IF_ERROR(Expect(t["dag"], "failFast", Shape::kBool, path + ".dag"));
    return Status::Ok();
  }

  Status Template(const json& t, const std::string& path, const std::set<std::string>& names,
                  bool local_names) {
    CORRAL_RETURN_IF_ERROR(Object(t, path, kTemplate));
    CORRAL_RETURN_IF_ERROR(TemplateShapes(t, path));
    for (const char* k : {"container", "script"})
      if (t.contains(k)) CORRAL_RETURN_IF_ERROR(Container(t[k], path + "." + k));
    if (t.contains("containerSet")) {
      const json& cs = t["containerSet"];
      if (!cs.is_object() || !cs.contains("containers") || !cs["containers"].is_array())
        return InvalidArgument(path + ".containerSet", "needs containers");
      for (auto it = cs.begin(); it != cs.end(); ++it)
        if (it.key() != "containers" && it.key() != "retryStrategy") {
          if (it.key() == "volumeMounts")
            warnings.push_back(path + ".containerSet.volumeMounts: ignored (Kubernetes-only)");
          else
            return InvalidArgument(path + ".containerSet." + it.key(), "unknown field");
        }
      size_t i = 0;
      for (const auto& c : cs["containers"])
        CORRAL_RETURN_IF_ERROR(
            Container(c, fmt::format("{}.containerSet.containers[{}]", path, i++)));
    }
    if (t.contains("steps")) {
      if (!t["steps"].is_array())
        return InvalidArgument(path + ".steps", "must be a list of lists");
      for (size_t g = 0; g < t["steps"].size(); ++g) {
        const json& group = t["steps"][g];
        std::string gp = fmt::format("{}.steps[{}]", path, g);
        if (!group.is_array()) return InvalidArgument(gp, "must be a list of steps");
        for (size_t s = 0; s < group.size(); ++s)
          CORRAL_RETURN_IF_ERROR(Step(group[s], fmt::format("{}[{}]", gp, s), names, local_names));
      }
    }
    if (t.contains("dag")) {
      const json& dag = t["dag"];
      std::string dp = path + ".dag";
      if (!dag.is_object() || !dag.contains("tasks") || !dag["tasks"].is_array())
        return InvalidArgument(dp + ".tasks", "is required");
      for (auto it = dag.begin(); it != dag.end(); ++it)
        if (it.key() != "tasks" && it.key() != "target" && it.key() != "failFast")
          return InvalidArgument(dp + "." + it.key(), "unknown field");
      std::vector<std::string> task_names;
      for (const auto& task : dag["tasks"])
        if (task.is_object() && task.contains("name") && task["name"].is_string())
          task_names.push_back(task["name"].get<std::string>());
      std::map<std::string, std::vector<std::string>> deps;
      for (size_t i = 0; i < dag["tasks"].size(); ++i) {
        const json& task = dag["tasks"][i];
        std::string tp = fmt::format("{}.tasks[{}]", dp, i);
        CORRAL_RETURN_IF_ERROR(Step(task, tp, names, local_names));
        std::string tn = task["name"].get<std::string>();
        if (deps.count(tn)) return InvalidArgument(tp + ".name", "'" + tn + "' is used twice");
        deps[tn];
        if (task.contains("depends")) {
          std::string expr = ToText(task["depends"]);
          Status s = CheckDepends(expr, task_names);
          if (!s.ok()) return InvalidArgument(tp + ".depends", s.message());
          deps[tn] = DependsTaskNames(expr);
        }
        if (task.contains("dependencies")) {
          if (!task["dependencies"].is_array())
            return InvalidArgument(tp + ".dependencies", "must be a list");
          for (const auto& d : task["dependencies"]) {
            std::string dn = ToText(d);
            if (std::find(task_names.begin(), task_names.end(), dn) == task_names.end())
              return InvalidArgument(tp + ".dependencies", "unknown task '" + dn + "'");
            deps[tn].push_back(dn);
          }
        }
      }
      // Cycles.
      std::map<std::string, int> color;
      std::string cycle_at;
      std::function<bool(const std::string&)> dfs = [&](const std::string& n) {
        color[n] = 1;
        for (const auto& d : deps[n]) {
          if (color[d] == 1) {
            cycle_at = n;
            return true;
          }
          if (color[d] == 0 && dfs(d)) return true;
        }
        color[n] = 2;
        return false;
      };
      for (const auto& tn : task_names)
        if (color[tn] == 0 && dfs(tn)) {
          size_t idx =
              std::find(task_names.begin(), task_names.end(), cycle_at) - task_names.begin();
          return InvalidArgument(fmt::format("{}.tasks[{}]", dp, idx),
                                 fmt::format("dependency cycle through '{}'", cycle_at));
        }
    }
    return Text(t, path);
  }

  Status Templates(const json& spec, const std::string& path, bool need_entry) {
    CORRAL_RETURN_IF_ERROR(ExpectAll(spec,
                                     {{"onExit", Shape::kString},
                                      {"workflowTemplateRef", Shape::kObject},
                                      {"suspend", Shape::kBool},
                                      {"serviceAccountName", Shape::kString},
                                      {"activeDeadlineSeconds", Shape::kDuration},
                                      {"synchronization", Shape::kObject}},
                                     path));
    if (spec.contains("workflowTemplateRef"))
      CORRAL_RETURN_IF_ERROR(ExpectAll(spec["workflowTemplateRef"],
                                       {{"name", Shape::kString}, {"clusterScope", Shape::kBool}},
                                       path + ".workflowTemplateRef"));
    CORRAL_RETURN_IF_ERROR(Io(spec, "arguments", path));
    CORRAL_RETURN_IF_ERROR(Hooks(spec, path));
    if (spec.contains("synchronization"))
      CORRAL_RETURN_IF_ERROR(Synchronization(spec["synchronization"], path + ".synchronization"));
    std::set<std::string> names;
    if (spec.contains("templates")) {
      if (!spec["templates"].is_array())
        return InvalidArgument(path + ".templates", "must be a list");
      for (size_t i = 0; i < spec["templates"].size(); ++i) {
        const json& t = spec["templates"][i];
        std::string tp = fmt::format("{}.templates[{}]", path, i);
        if (!t.is_object() || !t.contains("name") || !t["name"].is_string())
          return InvalidArgument(tp + ".name", "is required");
        if (!names.insert(t["name"].get<std::string>()).second)
          return InvalidArgument(tp + ".name",
                                 "'" + t["name"].get<std::string>() + "' is used twice");
      }
      for (size_t i = 0; i < spec["templates"].size(); ++i)
        CORRAL_RETURN_IF_ERROR(
            Template(spec["templates"][i], fmt::format("{}.templates[{}]", path, i), names, true));
    }
    if (need_entry && !spec.contains("workflowTemplateRef")) {
      if (!spec.contains("entrypoint") || !spec["entrypoint"].is_string())
        return InvalidArgument(path + ".entrypoint", "is required");
      if (!names.count(spec["entrypoint"].get<std::string>()))
        return InvalidArgument(path + ".entrypoint",
                               "no template named '" + spec["entrypoint"].get<std::string>() + "'");
    }
    for (const char* hook : {"onExit"})
      if (spec.contains(hook) && spec[hook].is_string() &&
          !names.count(spec[hook].get<std::string>()) && !spec.contains("workflowTemplateRef"))
        return InvalidArgument(path + "." + hook,
                               "no template named '" + spec[hook].get<std::string>() + "'");
    if (spec.contains("arguments"))
      CORRAL_RETURN_IF_ERROR(Text(spec["arguments"], path + ".arguments"));
    CORRAL_RETURN_IF_ERROR(Expect(spec, "parallelism", Shape::kCount, path));
    return Status::Ok();
  }
};

}  // namespace

Result<std::vector<std::string>> CheckDocument(const json& doc) {
  Checker c;
  if (!doc.is_object()) return InvalidArgument("body", "a workflow must be an object");
  CORRAL_RETURN_IF_ERROR(RefuseNulBytes(doc, ""));
  CORRAL_RETURN_IF_ERROR(c.Object(doc, "", kDocument));
  CORRAL_RETURN_IF_ERROR(Expect(doc, "kind", Shape::kString, ""));
  std::string kind = doc.value("kind", std::string("Workflow"));
  if (kind != "Workflow" && kind != "WorkflowTemplate" && kind != "ClusterWorkflowTemplate" &&
      kind != "CronWorkflow")
    return InvalidArgument("kind", "'" + kind + "' is not a workflow kind");
  if (doc.contains("metadata")) {
    CORRAL_RETURN_IF_ERROR(c.Object(doc["metadata"], "metadata", kMetadata));
    CORRAL_RETURN_IF_ERROR(ExpectAll(doc["metadata"],
                                     {{"name", Shape::kString},
                                      {"generateName", Shape::kString},
                                      {"labels", Shape::kObject},
                                      {"annotations", Shape::kObject}},
                                     "metadata"));
  }
  if (!doc.contains("spec")) return InvalidArgument("spec", "is required");
  const json& spec = doc["spec"];
  CORRAL_RETURN_IF_ERROR(c.Object(spec, "spec", kSpec));
  CORRAL_RETURN_IF_ERROR(c.Templates(spec, "spec", kind == "Workflow"));
  return c.warnings;
}

std::vector<std::pair<std::string, std::string>> TemplateRefs(const json& spec) {
  std::vector<std::pair<std::string, std::string>> out;
  std::function<void(const json&)> walk = [&](const json& j) {
    if (j.is_object()) {
      if (j.contains("templateRef") && j["templateRef"].is_object()) {
        // Read without trusting types: this walk also passes through loop items and parameters.
        const json& r = j["templateRef"];
        const bool cluster = r.contains("clusterScope") && r["clusterScope"].is_boolean() &&
                             r["clusterScope"].get<bool>();
        std::string kind = cluster ? "ClusterWorkflowTemplate" : "WorkflowTemplate";
        std::string name =
            r.contains("name") && r["name"].is_string() ? r["name"].get<std::string>() : "";
        std::pair<std::string, std::string> ref{kind, name};
        if (std::find(out.begin(), out.end(), ref) == out.end()) out.push_back(ref);
      }
      for (const auto& v : j) walk(v);
    } else if (j.is_array()) {
      for (const auto& v : j) walk(v);
    }
  };
  walk(spec);
  return out;
}

}  // namespace corral::workflow
