#include "workflow/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <set>
#include <sstream>

#include "workflow/dag_depends.h"
#include "workflow/expression.h"
#include "workflow/template_text.h"

namespace corral::workflow {

using nlohmann::json;

std::string_view RunPhaseName(RunPhase p) {
  switch (p) {
    case RunPhase::kPending:
      return "Pending";
    case RunPhase::kRunning:
      return "Running";
    case RunPhase::kSucceeded:
      return "Succeeded";
    case RunPhase::kFailed:
      return "Failed";
    case RunPhase::kError:
      return "Error";
  }
  return "Error";
}

std::optional<RunPhase> ParseRunPhase(std::string_view s) {
  for (RunPhase p : {RunPhase::kPending, RunPhase::kRunning, RunPhase::kSucceeded,
                     RunPhase::kFailed, RunPhase::kError})
    if (RunPhaseName(p) == s) return p;
  return std::nullopt;
}

struct WorkflowEngine::Scope {
  const Scope* parent = nullptr;
  std::unordered_map<std::string, std::string> vars;

  std::optional<std::string> Get(const std::string& k) const {
    for (const Scope* s = this; s; s = s->parent) {
      auto it = s->vars.find(k);
      if (it != s->vars.end()) return it->second;
    }
    return std::nullopt;
  }
  VariableLookup Lookup() const {
    return [this](const std::string& k) { return Get(k); };
  }
};

struct WorkflowEngine::Invocation {
  std::string name;
  std::string display;
  std::string boundary_id;
  Node* parent = nullptr;
  json tmpl;
  std::string scope_key;
  std::vector<NamedValue> args;
  json arg_artifacts = json::array();
  int item_index = -1;
  bool hook = false;
  bool retry_child = false;
  int retries = 0;
  std::map<std::string, std::string> extra_globals;  // workflow.status for exit handlers
};

namespace {

// Whether a template's input parameter has a value of its own to fall back on.
bool HasInputDefault(const json& tmpl, const std::string& name) {
  if (!tmpl.contains("inputs") || !tmpl["inputs"].contains("parameters")) return false;
  for (const auto& p : tmpl["inputs"]["parameters"])
    if (p.value("name", std::string()) == name) return p.contains("default") || p.contains("value");
  return false;
}

std::string TrimOneNewline(std::string s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

bool ContinuesOn(const json& step, NodePhase p) {
  if (!step.contains("continueOn") || !step["continueOn"].is_object()) return false;
  const json& c = step["continueOn"];
  if (p == NodePhase::kFailed) return c.value("failed", false);
  if (p == NodePhase::kError) return c.value("error", false);
  return false;
}

bool HasExitHook(const json& step) {
  return step.contains("onExit") || (step.contains("hooks") && step["hooks"].contains("exit"));
}

std::string TemplateKind(const json& t) {
  for (const char* k : {"container", "script", "containerSet", "steps", "dag", "suspend",
                        "resource", "http", "data", "plugin"})
    if (t.contains(k)) return k;
  return "";
}

bool IsPodKind(const std::string& k) {
  return k == "container" || k == "script" || k == "containerSet";
}

std::optional<std::string> ArtifactKey(const json& a) {
  for (const char* store : {"s3", "gcs", "oss", "azure", "hdfs", "artifactory"}) {
    if (a.contains(store) && a[store].is_object()) {
      const json& s = a[store];
      if (s.contains("key")) return s["key"].get<std::string>();
      if (s.contains("blob")) return s["blob"].get<std::string>();
      if (s.contains("path")) return s["path"].get<std::string>();
      if (s.contains("url")) return s["url"].get<std::string>();
    }
  }
  return std::nullopt;
}

std::vector<std::string> StringList(const json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& e : j) out.push_back(ToText(e));
  return out;
}

ContainerRun ContainerFrom(const json& c) {
  ContainerRun run;
  run.name = c.value("name", std::string("main"));
  run.image = c.value("image", std::string());
  if (c.contains("command")) run.command = StringList(c["command"]);
  if (c.contains("args")) run.args = StringList(c["args"]);
  if (c.contains("env") && c["env"].is_array())
    for (const auto& e : c["env"])
      if (e.contains("name") && e.contains("value"))
        run.env[e["name"].get<std::string>()] = ToText(e["value"]);
  run.workdir = c.value("workingDir", std::string());
  if (c.contains("dependencies")) run.dependencies = StringList(c["dependencies"]);
  return run;
}

// Nothing waits longer than a century; within it the milliseconds fit an int64.
constexpr double kLongestDurationS = 100.0 * 366 * 86400;

std::optional<Duration> Milliseconds(double seconds) {
  if (!(std::fabs(seconds) <= kLongestDurationS)) return std::nullopt;
  return Duration(static_cast<int64_t>(seconds * 1000));
}

// Numbers are seconds; text is Go's form ("90s", "1h30m", "1.5d"). A value substituted at run
// time arrives here unchecked, so whatever is not a duration is none, never an exception.
std::optional<Duration> ParseDuration(const json& v) {
  if (v.is_number()) return Milliseconds(v.get<double>());
  if (!v.is_string()) return std::nullopt;
  std::string s = v.get<std::string>();
  if (s.empty()) return std::nullopt;
  double total = 0;
  size_t i = 0;
  bool any = false;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
    if (j == i) return std::nullopt;
    const std::string number = s.substr(i, j - i);
    char* end = nullptr;
    double n = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size()) return std::nullopt;
    std::string unit;
    while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j]))) unit += s[j++];
    double mult = unit.empty() || unit == "s" ? 1
                  : unit == "ms"              ? 0.001
                  : unit == "m"               ? 60
                  : unit == "h"               ? 3600
                  : unit == "d"               ? 86400
                                              : -1;
    if (mult < 0) return std::nullopt;
    total += n * mult;
    any = true;
    i = j;
  }
  if (!any) return std::nullopt;
  return Milliseconds(total);
}

}  // namespace

WorkflowEngine::WorkflowEngine(std::string name, json spec, json refs, TimePoint created)
    : name_(std::move(name)), spec_(std::move(spec)), refs_(std::move(refs)), created_(created) {
  if (!refs_.is_object()) refs_ = json::object();
  suspended_ = spec_.value("suspend", false);
}

json WorkflowEngine::StateJson() const {
  json j = {{"phase", RunPhaseName(phase_)}, {"message", message_}};
  if (suspended_) j["suspended"] = true;
  if (stopping_) j["stopping"] = true;
  if (terminating_) j["terminating"] = true;
  if (!stop_message_.empty()) j["stop_message"] = stop_message_;
  if (!refs_.empty()) j["refs"] = refs_;
  if (!outputs_.empty()) {
    json a = json::array();
    for (const auto& p : outputs_) a.push_back({p.name, p.value});
    j["outputs"] = a;
  }
  if (!global_outputs_.empty()) j["globals"] = global_outputs_;
  if (!output_artifacts_.empty()) {
    json a = json::array();
    for (const auto& p : output_artifacts_) a.push_back({p.name, p.key});
    j["artifacts"] = a;
  }
  if (started_at_) j["started_at"] = ToMillis(*started_at_);
  if (finished_at_) j["finished_at"] = ToMillis(*finished_at_);
  return j;
}

Status WorkflowEngine::Restore(const json& state, std::vector<Node> nodes) {
  try {
    if (auto p = ParseRunPhase(state.value("phase", "Pending"))) phase_ = *p;
    message_ = state.value("message", "");
    suspended_ = state.value("suspended", false);
    stopping_ = state.value("stopping", false);
    terminating_ = state.value("terminating", false);
    stop_message_ = state.value("stop_message", "");
    if (state.contains("refs")) refs_ = state["refs"];
    if (state.contains("outputs"))
      for (const auto& p : state["outputs"]) outputs_.push_back({p[0], p[1]});
    if (state.contains("globals"))
      global_outputs_ = state["globals"].get<std::map<std::string, std::string>>();
    if (state.contains("artifacts"))
      for (const auto& p : state["artifacts"]) output_artifacts_.push_back({p[0], p[1]});
    if (state.contains("started_at")) started_at_ = FromMillis(state["started_at"].get<int64_t>());
    if (state.contains("finished_at"))
      finished_at_ = FromMillis(state["finished_at"].get<int64_t>());
  } catch (const json::exception& e) {
    return Internal(std::string("stored workflow state: ") + e.what());
  }
  nodes_.clear();
  by_name_.clear();
  by_id_.clear();
  // The store gives nodes back by name; show them in the order they were made.
  std::stable_sort(nodes.begin(), nodes.end(), [](const Node& a, const Node& b) {
    auto key = [](const Node& n) { return n.started_at ? ToMillis(*n.started_at) : INT64_MAX; };
    return key(a) < key(b);
  });
  for (auto& n : nodes) {
    auto p = std::make_unique<Node>(std::move(n));
    by_name_[p->name] = p.get();
    by_id_[p->id] = p.get();
    nodes_.push_back(std::move(p));
  }
  // Children are stored with the child: put each back under its parent, in the order made.
  std::unordered_map<std::string, std::vector<std::pair<int, std::string>>> hung;
  for (const auto& n : nodes_)
    if (!n->parent_id.empty()) hung[n->parent_id].push_back({n->child_index, n->id});
  for (auto& [parent, kids] : hung) {
    auto it = by_id_.find(parent);
    if (it == by_id_.end()) continue;
    std::stable_sort(kids.begin(), kids.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    auto& ch = it->second->children;
    std::set<std::string> have(ch.begin(), ch.end());
    for (auto& [index, id] : kids)
      if (!have.count(id)) ch.push_back(id);
  }
  dirty_.clear();
  state_dirty_ = false;
  return Status::Ok();
}

const Node* WorkflowEngine::FindById(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

const Node* WorkflowEngine::FindByName(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::pair<int, int> WorkflowEngine::Progress() const {
  int done = 0, total = 0;
  for (const auto& n : nodes_) {
    if (n->type != NodeType::kPod) continue;
    ++total;
    if (IsDone(n->phase)) ++done;
  }
  return {done, total};
}

std::vector<NamedValue> WorkflowEngine::OutputParameters() const { return outputs_; }
std::vector<NodeArtifact> WorkflowEngine::OutputArtifacts() const { return output_artifacts_; }

std::vector<const Node*> WorkflowEngine::TakeDirty() {
  std::vector<const Node*> out;
  out.reserve(dirty_.size());
  for (const auto& id : dirty_)
    if (auto* n = FindById(id)) out.push_back(n);
  dirty_.clear();
  return out;
}

bool WorkflowEngine::TakeStateDirty() {
  bool d = state_dirty_;
  state_dirty_ = false;
  return d;
}

std::vector<std::string> WorkflowEngine::TakeRemoved() {
  std::vector<std::string> out;
  out.swap(removed_);
  return out;
}

// ---- events ----

void WorkflowEngine::OnPodJob(const std::string& node_id, int64_t job_id) {
  auto it = by_id_.find(node_id);
  if (it == by_id_.end()) return;
  it->second->job_id = job_id;
  MarkDirty(*it->second);
}

void WorkflowEngine::OnPodStarted(const std::string& node_id, TimePoint at) {
  auto it = by_id_.find(node_id);
  if (it == by_id_.end()) return;
  Node& n = *it->second;
  if (IsDone(n.phase) || n.phase == NodePhase::kRunning) return;
  n.phase = NodePhase::kRunning;
  n.started_at = at;
  for (const auto& c : n.children) {
    auto ci = by_id_.find(c);
    if (ci != by_id_.end() && ci->second->type == NodeType::kContainer &&
        ci->second->phase == NodePhase::kPending) {
      ci->second->phase = NodePhase::kRunning;
      ci->second->started_at = at;
      MarkDirty(*ci->second);
    }
  }
  MarkDirty(n);
}

void WorkflowEngine::OnPodExited(const std::string& node_id, const PodExit& exit, TimePoint at) {
  auto it = by_id_.find(node_id);
  if (it == by_id_.end() || IsDone(it->second->phase)) return;
  pending_exits_[node_id] = {exit, at};
}

Status WorkflowEngine::Suspend() {
  if (finished()) return FailedPrecondition("workflow has finished");
  if (!suspended_) {
    suspended_ = true;
    state_dirty_ = true;
  }
  return Status::Ok();
}

Status WorkflowEngine::Resume(TimePoint now) {
  if (finished()) return FailedPrecondition("workflow has finished");
  bool any = suspended_;
  suspended_ = false;
  for (auto& n : nodes_) {
    if (n->type == NodeType::kSuspend && n->phase == NodePhase::kRunning) {
      n->phase = NodePhase::kSucceeded;
      n->finished_at = now;
      n->message = "resumed";
      MarkDirty(*n);
      any = true;
    }
  }
  if (!any) return FailedPrecondition("workflow is not suspended");
  state_dirty_ = true;
  return Status::Ok();
}

Status WorkflowEngine::Stop(const std::string& message, TimePoint now) {
  if (finished()) return FailedPrecondition("workflow has finished");
  stopping_ = true;
  suspended_ = false;
  stop_message_ = message;
  state_dirty_ = true;
  return Status::Ok();
}

Status WorkflowEngine::Terminate(TimePoint now) {
  if (finished()) return FailedPrecondition("workflow has finished");
  stopping_ = true;
  terminating_ = true;
  suspended_ = false;
  stop_message_ = "Stopped with strategy 'Terminate'";
  state_dirty_ = true;
  return Status::Ok();
}

Status WorkflowEngine::RetryFailed(TimePoint now) {
  if (!finished()) return FailedPrecondition("workflow has not finished");
  if (phase_ == RunPhase::kSucceeded) return FailedPrecondition("workflow succeeded");
  std::unordered_set<std::string> gone;
  for (const auto& n : nodes_) {
    bool failed = IsFailure(n->phase) || n->phase == NodePhase::kOmitted;
    bool exit_hook = n->hook;
    if (failed || exit_hook) gone.insert(n->id);
  }
  // What hangs below a forgotten node is forgotten too unless it succeeded: it is found again by
  // name when the walk reaches it.
  std::vector<std::unique_ptr<Node>> kept;
  for (auto& n : nodes_) {
    if (gone.count(n->id)) {
      removed_.push_back(n->name);
      by_name_.erase(n->name);
      by_id_.erase(n->id);
      dirty_.erase(n->id);
      continue;
    }
    auto& ch = n->children;
    size_t before = ch.size();
    ch.erase(
        std::remove_if(ch.begin(), ch.end(), [&](const std::string& c) { return gone.count(c); }),
        ch.end());
    if (ch.size() != before) MarkDirty(*n);
    kept.push_back(std::move(n));
  }
  nodes_ = std::move(kept);
  // Ancestors of what went are running again.
  for (auto& n : nodes_) {
    if (n->type != NodeType::kPod && n->type != NodeType::kContainer &&
        n->type != NodeType::kSkipped && n->phase != NodePhase::kSkipped && IsDone(n->phase) &&
        n->phase != NodePhase::kSucceeded) {
      n->phase = NodePhase::kRunning;
      n->finished_at.reset();
      MarkDirty(*n);
    }
  }
  // Steps, DAG, groups: re-walk; a succeeded container of a failed parent stays succeeded.
  for (auto& n : nodes_) {
    if ((n->type == NodeType::kSteps || n->type == NodeType::kDAG ||
         n->type == NodeType::kStepGroup || n->type == NodeType::kTaskGroup ||
         n->type == NodeType::kRetry) &&
        n->phase != NodePhase::kSucceeded) {
      n->phase = NodePhase::kRunning;
      n->message.clear();
      MarkDirty(*n);
    }
  }
  phase_ = RunPhase::kRunning;
  message_.clear();
  finished_at_.reset();
  stopping_ = terminating_ = false;
  stop_message_.clear();
  state_dirty_ = true;
  return Status::Ok();
}

// ---- helpers ----

void WorkflowEngine::SetGlobalOutput(const std::string& name, const std::string& value) {
  global_outputs_[name] = value;
  state_dirty_ = true;
  if (globals_) globals_->vars["workflow.outputs.parameters." + name] = value;
}

void WorkflowEngine::UpdateWake(TimePoint t) {
  if (!next_wake_ || t < *next_wake_) next_wake_ = t;
}

Node& WorkflowEngine::CreateNode(const std::string& name, const std::string& display, NodeType type,
                                 const std::string& template_name, const std::string& boundary_id,
                                 Node* parent) {
  auto n = std::make_unique<Node>();
  n->id = NodeIdFor(name_, name);
  n->name = name;
  n->display_name = display;
  n->type = type;
  n->template_name = template_name;
  n->boundary_id = boundary_id;
  n->phase = NodePhase::kPending;
  Node* raw = n.get();
  by_name_[name] = raw;
  by_id_[raw->id] = raw;
  nodes_.push_back(std::move(n));
  if (parent) {
    raw->parent_id = parent->id;
    // After a retry forgot some children, the next one still sorts after those kept.
    auto last = parent->children.empty() ? by_id_.end() : by_id_.find(parent->children.back());
    raw->child_index = last != by_id_.end() && last->second->child_index >= 0
                           ? last->second->child_index + 1
                           : static_cast<int>(parent->children.size());
    parent->children.push_back(raw->id);
  }
  MarkDirty(*raw);
  return *raw;
}

void WorkflowEngine::SetPhase(Node& n, NodePhase p, const std::string& message) {
  if (n.phase == p && (message.empty() || message == n.message)) return;
  n.phase = p;
  if (!message.empty()) n.message = message;
  if (p == NodePhase::kRunning && !n.started_at) n.started_at = now_;
  if (IsDone(p)) {
    if (!n.started_at) n.started_at = now_;
    n.finished_at = now_;
  }
  MarkDirty(n);
}

int WorkflowEngine::ActivePods() const {
  int k = 0;
  for (const auto& n : nodes_)
    if (n->type == NodeType::kPod && !IsDone(n->phase) && n->job_id && !pending_exits_.count(n->id))
      ++k;
  return k;
}

bool WorkflowEngine::StillRunning(const std::string& id) const {
  auto it = by_id_.find(id);
  return it != by_id_.end() && !IsDone(it->second->phase) && !Exiting(*it->second);
}

bool WorkflowEngine::HookDone(const std::string& owner_name) const {
  auto it = by_name_.find(owner_name + ".onExit");
  return it != by_name_.end() && IsDone(it->second->phase);
}

bool WorkflowEngine::Exiting(const Node& n) const {
  if (pending_exits_.count(n.id)) return true;
  // A Retry node whose running attempt has just exited.
  if (n.type == NodeType::kRetry && !n.children.empty())
    return pending_exits_.count(n.children.back()) > 0;
  return false;
}

const json* WorkflowEngine::TemplatesOf(const std::string& scope_key) const {
  if (scope_key.empty()) return spec_.contains("templates") ? &spec_["templates"] : nullptr;
  auto it = refs_.find(scope_key);
  if (it == refs_.end() || !it->contains("templates")) return nullptr;
  return &(*it)["templates"];
}

Result<std::pair<json, std::string>> WorkflowEngine::ResolveTemplate(const json& holder,
                                                                     const std::string& scope_key) {
  json tmpl;
  std::string key = scope_key;
  if (holder.contains("inline")) {
    tmpl = holder["inline"];
    if (!tmpl.contains("name")) tmpl["name"] = "";
  } else if (holder.contains("templateRef")) {
    const json& ref = holder["templateRef"];
    bool cluster = ref.value("clusterScope", false);
    key = std::string(cluster ? "ClusterWorkflowTemplate/" : "WorkflowTemplate/") +
          ref.value("name", std::string());
    std::string want = ref.value("template", std::string());
    const json* list = TemplatesOf(key);
    if (!list) return NotFound("templateRef: no " + key);
    for (const auto& t : *list)
      if (t.value("name", std::string()) == want) tmpl = t;
    if (tmpl.is_null()) return NotFound("templateRef: " + key + " has no template '" + want + "'");
  } else if (holder.contains("template")) {
    std::string want = holder["template"].get<std::string>();
    const json* list = TemplatesOf(scope_key);
    if (list)
      for (const auto& t : *list)
        if (t.value("name", std::string()) == want) tmpl = t;
    if (tmpl.is_null()) return NotFound("no template named '" + want + "'");
  } else {
    return InvalidArgument("template", "a step names no template");
  }
  if (spec_.contains("templateDefaults") && spec_["templateDefaults"].is_object()) {
    json merged = spec_["templateDefaults"];
    merged.merge_patch(tmpl);
    tmpl = std::move(merged);
  }
  return std::make_pair(std::move(tmpl), key);
}

void WorkflowEngine::AddOutputsToScope(Scope& scope, const std::string& prefix,
                                       const std::vector<const Node*>& group, bool aggregate) {
  if (group.empty()) return;
  if (!aggregate) {
    const Node& n = *group.front();
    scope.vars[prefix + ".status"] = std::string(NodePhaseName(n.phase));
    scope.vars[prefix + ".id"] = n.id;
    if (n.exit_code) scope.vars[prefix + ".exitCode"] = std::to_string(*n.exit_code);
    if (n.started_at) scope.vars[prefix + ".startedAt"] = FormatRfc3339(*n.started_at);
    if (n.finished_at) scope.vars[prefix + ".finishedAt"] = FormatRfc3339(*n.finished_at);
    if (n.result) scope.vars[prefix + ".outputs.result"] = *n.result;
    json params = json::array();
    for (const auto& p : n.outputs) {
      scope.vars[prefix + ".outputs.parameters." + p.name] = p.value;
      params.push_back({{"name", p.name}, {"value", p.value}});
    }
    if (!n.outputs.empty()) scope.vars[prefix + ".outputs.parameters"] = params.dump();
    for (const auto& a : n.artifacts) scope.vars[prefix + ".outputs.artifacts." + a.name] = a.key;
    return;
  }
  std::vector<const Node*> ok;
  for (const Node* n : group)
    if (n->phase == NodePhase::kSucceeded) ok.push_back(n);
  std::stable_sort(ok.begin(), ok.end(),
                   [](const Node* a, const Node* b) { return a->item_index < b->item_index; });
  json results = json::array();
  json param_maps = json::array();
  std::map<std::string, std::vector<std::string>> by_name;
  bool any_result = false;
  for (const Node* n : ok) {
    if (n->result) {
      any_result = true;
      json parsed = json::parse(*n->result, nullptr, false);
      results.push_back(parsed.is_discarded() ? json(*n->result) : parsed);
    }
    json m = json::object();
    for (const auto& p : n->outputs) {
      m[p.name] = p.value;
      by_name[p.name].push_back(p.value);
    }
    param_maps.push_back(m);
  }
  if (any_result || ok.empty()) scope.vars[prefix + ".outputs.result"] = results.dump();
  scope.vars[prefix + ".outputs.parameters"] = param_maps.dump();
  for (const auto& [name, values] : by_name) {
    bool all_structured = true;
    std::vector<json> parsed;
    for (const auto& v : values) {
      json p = json::parse(v, nullptr, false);
      if (p.is_discarded() || !(p.is_array() || p.is_object())) all_structured = false;
      parsed.push_back(p);
    }
    json list = json::array();
    for (size_t i = 0; i < values.size(); ++i)
      list.push_back(all_structured ? parsed[i] : json(values[i]));
    scope.vars[prefix + ".outputs.parameters." + name] = list.dump();
  }
  bool any_failed = false;
  for (const Node* n : group) any_failed = any_failed || IsFailure(n->phase);
  scope.vars[prefix + ".status"] = any_failed ? "Failed" : "Succeeded";
}

// ---- the walk ----

std::vector<Action> WorkflowEngine::Operate(TimePoint now, EngineServices& services) {
  now_ = now;
  services_ = &services;
  actions_.clear();
  next_wake_.reset();
  if (finished()) {
    pending_exits_.clear();
    return {};
  }
  if (phase_ == RunPhase::kPending) {
    phase_ = RunPhase::kRunning;
    started_at_ = now;
    state_dirty_ = true;
  }
  if (spec_.contains("synchronization")) {
    std::string lock;
    int limit = 1;
    const json& sync = spec_["synchronization"];
    if (sync.contains("mutex")) {
      lock = "mutex/" + sync["mutex"].value("name", std::string());
    } else if (sync.contains("semaphore")) {
      const json& ref = sync["semaphore"].value("configMapKeyRef", json::object());
      lock =
          "semaphore/" + ref.value("name", std::string()) + "/" + ref.value("key", std::string());
      limit = 1;
    }
    if (!lock.empty() && !services.Acquire(lock, name_, limit)) {
      if (message_ != "Waiting for " + lock) {
        message_ = "Waiting for " + lock;
        state_dirty_ = true;
      }
      return {};
    }
    held_workflow_lock_ = lock;
  }
  if (auto d = spec_.find("activeDeadlineSeconds"); d != spec_.end() && started_at_) {
    if (auto dur = ParseDuration(*d)) {
      TimePoint deadline = *started_at_ + *dur;
      if (now >= deadline && !stopping_) {
        stopping_ = true;
        terminating_ = false;
        stop_message_ = "Step exceeded its deadline";
        deadline_exceeded_ = true;
        state_dirty_ = true;
      } else if (now < deadline) {
        UpdateWake(deadline);
      }
    }
  }
  active_pods_ = ActivePods();
  if (stopping_) {
    for (auto& n : nodes_) {
      if (n->type == NodeType::kPod && !IsDone(n->phase) && n->job_id && !n->hook &&
          !cancel_sent_.count(n->id)) {
        cancel_sent_.insert(n->id);
        Action a;
        a.kind = Action::Kind::kCancelPod;
        a.node_id = n->id;
        a.job_id = *n->job_id;
        actions_.push_back(std::move(a));
      }
      if (n->type == NodeType::kSuspend && n->phase == NodePhase::kRunning)
        SetPhase(*n, NodePhase::kFailed, stop_message_);
    }
  }

  Scope globals;
  globals.vars["workflow.name"] = name_;
  globals.vars["workflow.namespace"] = "default";
  globals.vars["workflow.uid"] = name_;
  globals.vars["workflow.serviceAccountName"] = spec_.value("serviceAccountName", "default");
  globals.vars["workflow.creationTimestamp"] = FormatRfc3339(created_);
  globals.vars["workflow.mainEntrypoint"] = spec_.value("entrypoint", std::string());
  globals.vars["workflow.priority"] = "0";
  if (started_at_)
    globals.vars["workflow.duration"] =
        std::to_string(std::chrono::duration<double>(now - *started_at_).count());
  json wf_params = json::array();
  std::vector<NamedValue> wf_args;
  if (spec_.contains("arguments") && spec_["arguments"].contains("parameters")) {
    for (const auto& p : spec_["arguments"]["parameters"]) {
      std::string pname = p.value("name", std::string());
      std::string v = p.contains("value") ? ToText(p["value"]) : "";
      auto sub = Substitute(v, globals.Lookup());
      if (sub.ok()) v = *sub;
      globals.vars["workflow.parameters." + pname] = v;
      wf_params.push_back({{"name", pname}, {"value", v}});
      if (p.contains("value")) wf_args.push_back({pname, v});
    }
  }
  globals.vars["workflow.parameters"] = wf_params.dump();
  for (const auto& [gname, gvalue] : global_outputs_)
    globals.vars["workflow.outputs.parameters." + gname] = gvalue;
  if (!globals.vars.count("workflow.parameters.json"))
    globals.vars["workflow.parameters.json"] = wf_params.dump();
  for (const char* meta : {"labels", "annotations"}) {
    if (spec_.contains("x-metadata") && spec_["x-metadata"].contains(meta))
      for (auto it = spec_["x-metadata"][meta].begin(); it != spec_["x-metadata"][meta].end(); ++it)
        globals.vars[std::string("workflow.") + meta + "." + it.key()] = ToText(it.value());
  }
  globals_ = &globals;

  Node* root = nullptr;
  std::string entry = spec_.value("entrypoint", std::string());
  auto resolved = ResolveTemplate(json{{"template", entry}}, "");
  if (!resolved.ok()) {
    Finish(RunPhase::kError, resolved.status().message(), now);
    return std::move(actions_);
  }
  Invocation inv;
  inv.name = name_;
  inv.display = name_;
  inv.tmpl = std::move(resolved->first);
  inv.scope_key = resolved->second;
  inv.args = wf_args;
  if (spec_.contains("arguments") && spec_["arguments"].contains("artifacts"))
    inv.arg_artifacts = spec_["arguments"]["artifacts"];
  root = ExecuteTemplate(inv);

  if (root && IsDone(root->phase)) {
    NodePhase main = root->phase;
    std::string exit_tmpl;
    if (spec_.contains("onExit")) exit_tmpl = spec_["onExit"].get<std::string>();
    if (spec_.contains("hooks") && spec_["hooks"].contains("exit"))
      exit_tmpl = spec_["hooks"]["exit"].value("template", exit_tmpl);
    NodePhase exit_phase = NodePhase::kSucceeded;
    if (!exit_tmpl.empty() && !terminating_) {
      auto t = ResolveTemplate(json{{"template", exit_tmpl}}, "");
      if (!t.ok()) {
        Finish(RunPhase::kError, t.status().message(), now);
        return std::move(actions_);
      }
      Invocation h;
      h.name = name_ + ".onExit";
      h.display = h.name;
      h.tmpl = std::move(t->first);
      h.scope_key = t->second;
      h.hook = true;
      std::string status = main == NodePhase::kSucceeded ? "Succeeded"
                           : main == NodePhase::kError   ? "Error"
                                                         : "Failed";
      h.extra_globals["workflow.status"] = status;
      json failures = json::array();
      for (const auto& n : nodes_)
        if (n->type == NodeType::kPod && IsFailure(n->phase))
          failures.push_back(
              {{"displayName", n->display_name},
               {"message", n->message},
               {"templateName", n->template_name},
               {"phase", NodePhaseName(n->phase)},
               {"podName", n->id},
               {"finishedAt", n->finished_at ? FormatRfc3339(*n->finished_at) : ""}});
      h.extra_globals["workflow.failures"] = failures.dump();
      Node* hn = ExecuteTemplate(h);
      if (!hn || !IsDone(hn->phase)) {
        globals_ = nullptr;
        return std::move(actions_);
      }
      exit_phase = hn->phase;
    }
    // The run's outputs are the entrypoint's.
    outputs_ = root->outputs;
    for (const auto& [gname, gvalue] : global_outputs_) {
      bool present = std::any_of(outputs_.begin(), outputs_.end(),
                                 [&](const NamedValue& p) { return p.name == gname; });
      if (!present) outputs_.push_back({gname, gvalue});
    }
    output_artifacts_ = root->artifacts;
    if (main == NodePhase::kSucceeded && IsFailure(exit_phase)) {
      Finish(RunPhase::kFailed, "exit handler failed", now);
    } else if (main == NodePhase::kSucceeded || main == NodePhase::kSkipped) {
      Finish(RunPhase::kSucceeded, "", now);
    } else {
      std::string msg = stopping_ ? stop_message_ : root->message;
      Finish(main == NodePhase::kError ? RunPhase::kError : RunPhase::kFailed, msg, now);
    }
  }
  globals_ = nullptr;
  return std::move(actions_);
}

void WorkflowEngine::Finish(RunPhase phase, const std::string& message, TimePoint now) {
  phase_ = phase;
  message_ = message;
  finished_at_ = now;
  state_dirty_ = true;
  if (!held_workflow_lock_.empty() && services_) {
    services_->Release(held_workflow_lock_, name_);
    held_workflow_lock_.clear();
  }
  pending_exits_.clear();
}

Node* WorkflowEngine::ExecuteTemplate(Invocation& inv) {
  Node* existing = by_name_.count(inv.name) ? by_name_[inv.name] : nullptr;
  if (existing && IsDone(existing->phase) && pending_exits_.empty()) return existing;
  if (existing && IsDone(existing->phase)) return existing;
  const json& tmpl = inv.tmpl;
  std::string tname = tmpl.value("name", std::string());
  std::string kind = TemplateKind(tmpl);

  // A template with a retryStrategy runs as a Retry node whose children are the attempts.
  if (tmpl.contains("retryStrategy") && !inv.retry_child) {
    Node* r = existing;
    if (!r) {
      if (IsPodKind(kind) && spec_.contains("parallelism") &&
          active_pods_ >= spec_["parallelism"].get<int>())
        return nullptr;
      r = &CreateNode(inv.name, inv.display, NodeType::kRetry, tname, inv.boundary_id, inv.parent);
      r->item_index = inv.item_index;
      r->hook = inv.hook;
      SetPhase(*r, NodePhase::kRunning);
    }
    const json& rs = tmpl["retryStrategy"];
    for (int guard = 0; guard < 2; ++guard) {
      Node* last = r->children.empty() ? nullptr : by_id_[r->children.back()];
      if (last && !IsDone(last->phase)) {
        Invocation child = inv;
        child.name = last->name;
        child.display = last->display_name;
        child.parent = r;
        child.retry_child = true;
        child.retries = static_cast<int>(r->children.size()) - 1;
        child.boundary_id = inv.boundary_id;
        last = ExecuteTemplate(child);
        if (!last || !IsDone(last->phase)) return r;
      }
      if (last) {
        if (last->phase == NodePhase::kSucceeded || last->phase == NodePhase::kSkipped) {
          r->outputs = last->outputs;
          r->result = last->result;
          r->exit_code = last->exit_code;
          r->artifacts = last->artifacts;
          r->inputs = last->inputs;
          SetPhase(*r, NodePhase::kSucceeded);
          return r;
        }
        // Decide whether to try again.
        int attempts = static_cast<int>(r->children.size());
        std::optional<int> limit;
        if (rs.contains("limit")) {
          std::string l = ToText(rs["limit"]);
          Scope s{globals_, {}};
          for (const auto& p : last->inputs) s.vars["inputs.parameters." + p.name] = p.value;
          auto sub = Substitute(l, s.Lookup());
          try {
            limit = std::stoi(sub.ok() ? *sub : l);
          } catch (...) {
            limit = 0;
          }
        }
        std::string policy = rs.value("retryPolicy", std::string("OnFailure"));
        bool policy_ok = policy == "Always" ||
                         (policy == "OnFailure" && last->phase == NodePhase::kFailed) ||
                         ((policy == "OnError" || policy == "OnTransientError") &&
                          last->phase == NodePhase::kError);
        if (policy == "OnFailure" && last->phase == NodePhase::kError) policy_ok = true;
        bool again = policy_ok && !stopping_ && (!limit || attempts <= *limit);
        if (again && rs.contains("expression")) {
          Scope s{globals_, {}};
          s.vars["lastRetry.exitCode"] = last->exit_code ? std::to_string(*last->exit_code) : "-1";
          s.vars["lastRetry.status"] = std::string(NodePhaseName(last->phase));
          s.vars["lastRetry.message"] = last->message;
          s.vars["lastRetry.duration"] =
              last->started_at && last->finished_at
                  ? std::to_string((*last->finished_at - *last->started_at).count() / 1000)
                  : "0";
          auto v = Evaluate(rs["expression"].get<std::string>(), Dialect::kExpr, s.Lookup());
          again = v.ok() && Truthy(*v);
        }
        if (!again) {
          r->exit_code = last->exit_code;
          r->result = last->result;
          SetPhase(*r, last->phase, last->message);
          return r;
        }
        if (rs.contains("backoff")) {
          const json& b = rs["backoff"];
          auto base = ParseDuration(b.value("duration", json("0")));
          double factor = 2.0;
          if (b.contains("factor")) {
            const std::string text = ToText(b["factor"]);
            char* end = nullptr;
            const double f = std::strtod(text.c_str(), &end);
            if (end == text.c_str() + text.size() && std::isfinite(f) && f >= 0) factor = f;
          }
          Duration wait = base.value_or(Duration(0));
          for (int i = 1; i < attempts; ++i)
            wait = Milliseconds(static_cast<double>(wait.count()) / 1000 * factor)
                       .value_or(Milliseconds(kLongestDurationS).value());
          if (b.contains("cap"))
            if (auto cap = ParseDuration(b["cap"])) wait = std::min(wait, *cap);
          TimePoint at = (last->finished_at ? *last->finished_at : now_) + wait;
          if (now_ < at) {
            if (!r->wake_at || *r->wake_at != at) {
              r->wake_at = at;
              MarkDirty(*r);
            }
            UpdateWake(at);
            return r;
          }
        }
      }
      // A new attempt.
      int index = static_cast<int>(r->children.size());
      Invocation child = inv;
      child.name = inv.name + "(" + std::to_string(index) + ")";
      child.display = inv.display + "(" + std::to_string(index) + ")";
      child.parent = r;
      child.retry_child = true;
      child.retries = index;
      child.item_index = -1;
      Node* c = ExecuteTemplate(child);
      if (!c || !IsDone(c->phase)) return r;
    }
    return r;
  }

  // Inputs: arguments by name, else the template's value/default.
  std::vector<NamedValue> inputs;
  std::string input_error;
  if (tmpl.contains("inputs") && tmpl["inputs"].contains("parameters")) {
    for (const auto& p : tmpl["inputs"]["parameters"]) {
      std::string pname = p.value("name", std::string());
      auto arg = std::find_if(inv.args.begin(), inv.args.end(),
                              [&](const NamedValue& a) { return a.name == pname; });
      if (arg != inv.args.end()) {
        inputs.push_back(*arg);
      } else if (p.contains("value")) {
        // A template's own value may be an expression over the workflow's globals
        // (`{{=jsonpath(workflow.parameters.config, '$.a')}}`).
        std::string v = ToText(p["value"]);
        if (HasTag(v) && globals_) {
          Scope g{globals_, {}};
          for (const auto& [k, x] : inv.extra_globals) g.vars[k] = x;
          auto sub = Substitute(v, g.Lookup());
          // What the globals cannot resolve is left for the template's own scope.
          if (sub.ok()) v = *sub;
        }
        inputs.push_back({pname, v});
      } else if (p.contains("default")) {
        inputs.push_back({pname, ToText(p["default"])});
      } else {
        input_error = "inputs.parameters." + pname + " was not supplied";
      }
    }
  }

  NodeType type = kind == "steps"     ? NodeType::kSteps
                  : kind == "dag"     ? NodeType::kDAG
                  : kind == "suspend" ? NodeType::kSuspend
                                      : NodeType::kPod;
  Node* node = existing;
  if (!node) {
    if (IsPodKind(kind) && !stopping_ && spec_.contains("parallelism") &&
        active_pods_ >= spec_["parallelism"].get<int>())
      return nullptr;
    node = &CreateNode(inv.name, inv.display, type, tname, inv.boundary_id, inv.parent);
    node->item_index = inv.item_index;
    node->hook = inv.hook;
    node->inputs = inputs;
    if (type != NodeType::kPod) SetPhase(*node, NodePhase::kRunning);
  }
  if (!input_error.empty()) {
    SetPhase(*node, NodePhase::kError, input_error);
    return node;
  }

  Scope globals_ext{globals_, {}};
  for (const auto& [k, v] : inv.extra_globals) globals_ext.vars[k] = v;
  Scope scope{&globals_ext, {}};
  json in_params = json::array();
  for (const auto& p : node->inputs) {
    scope.vars["inputs.parameters." + p.name] = p.value;
    in_params.push_back({{"name", p.name}, {"value", p.value}});
  }
  scope.vars["inputs.parameters"] = in_params.dump();
  if (!scope.vars.count("inputs.parameters.json"))
    scope.vars["inputs.parameters.json"] = in_params.dump();
  if (tmpl.contains("inputs") && tmpl["inputs"].contains("artifacts"))
    for (const auto& a : tmpl["inputs"]["artifacts"])
      if (a.contains("path"))
        scope.vars["inputs.artifacts." + a.value("name", std::string()) + ".path"] =
            a["path"].get<std::string>();
  if (tmpl.contains("outputs")) {
    for (const char* what : {"parameters", "artifacts"})
      if (tmpl["outputs"].contains(what))
        for (const auto& o : tmpl["outputs"][what]) {
          std::string p = o.contains("path") ? ToText(o["path"])
                          : o.contains("valueFrom") && o["valueFrom"].contains("path")
                              ? ToText(o["valueFrom"]["path"])
                              : "";
          if (!p.empty())
            scope.vars[std::string("outputs.") + what + "." + o.value("name", std::string()) +
                       ".path"] = p;
        }
  }
  scope.vars["pod.name"] = node->id;
  scope.vars["node.name"] = node->name;
  scope.vars["retries"] = std::to_string(inv.retries);
  if (kind == "container" || kind == "script" || kind == "containerSet") {
    ExecutePod(*node, tmpl, scope, inv);
  } else if (kind == "steps") {
    ExecuteSteps(*node, tmpl, scope, inv);
  } else if (kind == "dag") {
    ExecuteDag(*node, tmpl, scope, inv);
  } else if (kind == "suspend") {
    ExecuteSuspend(*node, tmpl, scope);
  } else {
    SetPhase(*node, NodePhase::kError,
             kind.empty() ? "template '" + tname + "' has nothing to run"
                          : "template type '" + kind + "' is not supported on this platform");
  }
  return node;
}

void WorkflowEngine::ExecutePod(Node& node, const json& tmpl, Scope& scope, Invocation& inv) {
  std::string lock;
  int limit = 1;
  if (tmpl.contains("synchronization")) {
    const json& sync = tmpl["synchronization"];
    if (sync.contains("mutex")) {
      auto n = Substitute(sync["mutex"].value("name", std::string()), scope.Lookup());
      lock = "mutex/" + (n.ok() ? *n : std::string());
    } else if (sync.contains("semaphore")) {
      const json& ref = sync["semaphore"].value("configMapKeyRef", json::object());
      lock =
          "semaphore/" + ref.value("name", std::string()) + "/" + ref.value("key", std::string());
    }
  }
  std::string holder = name_ + "/" + node.id;
  auto pending = pending_exits_.find(node.id);
  if (pending != pending_exits_.end()) {
    const PodExit& exit = pending->second.first;
    TimePoint at = pending->second.second;
    node.exit_code = exit.exit_code;
    std::string out = exit.stdout_text;
    node.result = TrimOneNewline(out);
    NodePhase phase = NodePhase::kSucceeded;
    std::string message;
    if (exit.cancelled) {
      phase = NodePhase::kFailed;
      message = !exit.message.empty() ? exit.message : stopping_ ? stop_message_ : "cancelled";
    } else if (!exit.message.empty() && exit.exit_code < 0) {
      phase = NodePhase::kError;
      message = exit.message;
    } else if (exit.exit_code != 0) {
      phase = NodePhase::kFailed;
      message = !exit.message.empty() ? exit.message
                                      : fmt::format("Error (exit code {})", exit.exit_code);
    }
    node.outputs.clear();
    if (tmpl.contains("outputs") && tmpl["outputs"].contains("parameters")) {
      for (const auto& p : tmpl["outputs"]["parameters"]) {
        std::string pname = p.value("name", std::string());
        const json vf = p.value("valueFrom", json::object());
        auto found = exit.parameters.find(pname);
        if (found != exit.parameters.end()) {
          node.outputs.push_back({pname, TrimOneNewline(found->second)});
          if (p.contains("globalName"))
            SetGlobalOutput(ToText(p["globalName"]), node.outputs.back().value);
        } else if (vf.contains("default")) {
          node.outputs.push_back({pname, ToText(vf["default"])});
        } else if (p.contains("value")) {
          node.outputs.push_back({pname, ToText(p["value"])});
        } else if (phase == NodePhase::kSucceeded && vf.contains("path")) {
          phase = NodePhase::kError;
          message =
              "failed to get output parameter '" + pname + "': no file at " + ToText(vf["path"]);
        }
      }
    }
    node.artifacts.clear();
    if (tmpl.contains("outputs") && tmpl["outputs"].contains("artifacts")) {
      for (const auto& a : tmpl["outputs"]["artifacts"]) {
        std::string aname = a.value("name", std::string());
        if (std::find(exit.artifacts.begin(), exit.artifacts.end(), aname) !=
            exit.artifacts.end()) {
          node.artifacts.push_back(
              {aname, ArtifactKey(a).value_or(name_ + "/" + node.id + "/" + aname)});
        } else if (phase == NodePhase::kSucceeded && !a.value("optional", false)) {
          phase = NodePhase::kError;
          message = "output artifact '" + aname + "' not found";
        }
      }
    }
    for (const auto& cid : node.children) {
      auto ci = by_id_.find(cid);
      if (ci == by_id_.end()) continue;
      Node& c = *ci->second;
      auto code = exit.container_exit_codes.find(c.display_name);
      if (code != exit.container_exit_codes.end()) {
        c.exit_code = code->second;
        c.finished_at = at;
        if (!c.started_at) c.started_at = node.started_at ? node.started_at : at;
        c.phase = code->second == 0 ? NodePhase::kSucceeded : NodePhase::kFailed;
        if (code->second != 0) c.message = fmt::format("Error (exit code {})", code->second);
      } else {
        c.phase = exit.cancelled || phase != NodePhase::kSucceeded ? NodePhase::kFailed
                                                                   : NodePhase::kSucceeded;
        c.finished_at = at;
      }
      MarkDirty(c);
    }
    if (!node.started_at) node.started_at = at;
    now_ = std::max(now_, at);
    SetPhase(node, phase, message);
    node.finished_at = at;
    pending_exits_.erase(pending);
    if (!lock.empty()) services_->Release(lock, holder);
    if (phase == NodePhase::kSucceeded && tmpl.contains("memoize")) {
      auto key = Substitute(tmpl["memoize"].value("key", std::string()), scope.Lookup());
      std::string cache = tmpl["memoize"]
                              .value("cache", json::object())
                              .value("configMap", json::object())
                              .value("name", std::string("default"));
      json saved = {{"result", node.result ? json(*node.result) : json(nullptr)},
                    {"exit_code", node.exit_code.value_or(0)}};
      json params = json::array();
      for (const auto& p : node.outputs) params.push_back({p.name, p.value});
      saved["parameters"] = params;
      if (key.ok()) services_->MemoPut(cache, *key, saved.dump());
    }
    return;
  }
  if (IsDone(node.phase)) return;
  if (node.job_id) {
    if (!lock.empty()) services_->Acquire(lock, holder, limit);
    return;
  }
  if (stopping_ && !inv.hook) {
    SetPhase(node, NodePhase::kFailed, stop_message_);
    return;
  }
  if (suspended_) return;
  if (!lock.empty() && !services_->Acquire(lock, holder, limit)) {
    if (node.message != "Waiting for " + lock) {
      node.message = "Waiting for " + lock;
      MarkDirty(node);
    }
    return;
  }
  if (tmpl.contains("memoize")) {
    auto key = Substitute(tmpl["memoize"].value("key", std::string()), scope.Lookup());
    std::string cache = tmpl["memoize"]
                            .value("cache", json::object())
                            .value("configMap", json::object())
                            .value("name", std::string("default"));
    std::optional<int64_t> max_age;
    if (tmpl["memoize"].contains("maxAge"))
      if (auto d = ParseDuration(tmpl["memoize"]["maxAge"])) max_age = d->count() / 1000;
    if (key.ok()) {
      if (auto hit = services_->MemoGet(cache, *key, max_age)) {
        json saved = json::parse(*hit, nullptr, false);
        if (!saved.is_discarded()) {
          if (saved.contains("result") && saved["result"].is_string())
            node.result = saved["result"].get<std::string>();
          node.exit_code = saved.value("exit_code", 0);
          node.outputs.clear();
          for (const auto& p : saved.value("parameters", json::array()))
            node.outputs.push_back({p[0], p[1]});
          node.memoized = true;
          if (!lock.empty()) services_->Release(lock, holder);
          SetPhase(node, NodePhase::kSucceeded, "cached");
          return;
        }
      }
    }
  }
  // Render the template with this node's scope.
  auto rendered = SubstituteJson(tmpl, scope.Lookup());
  if (!rendered.ok()) {
    SetPhase(node, NodePhase::kError, rendered.status().message());
    return;
  }
  const json& r = *rendered;
  Action a;
  a.kind = Action::Kind::kStartPod;
  PodRequest& pod = a.pod;
  pod.node_id = node.id;
  pod.node_name = node.name;
  pod.display_name = node.display_name;
  pod.template_name = node.template_name;
  if (r.contains("container")) {
    pod.main = ContainerFrom(r["container"]);
  } else if (r.contains("script")) {
    pod.main = ContainerFrom(r["script"]);
    pod.script = r["script"].value("source", std::string());
  } else if (r.contains("containerSet")) {
    for (const auto& c : r["containerSet"].value("containers", json::array()))
      pod.containers.push_back(ContainerFrom(c));
    if (node.children.empty()) {
      for (const auto& c : pod.containers) {
        Node& cn = CreateNode(node.name + "." + c.name, c.name, NodeType::kContainer,
                              node.template_name, node.boundary_id, &node);
        cn.phase = NodePhase::kPending;
      }
    }
  }
  if (r.contains("inputs") && r["inputs"].contains("artifacts")) {
    for (const auto& ia : r["inputs"]["artifacts"]) {
      InputArtifact in;
      in.name = ia.value("name", std::string());
      in.path = ia.value("path", std::string());
      in.optional = ia.value("optional", false);
      const json* src = &ia;
      for (const auto& arg : inv.arg_artifacts)
        if (arg.value("name", std::string()) == in.name) src = &arg;
      json resolved_src = *src;
      if (src != &ia) {
        auto s = SubstituteJson(*src, scope.parent ? scope.parent->Lookup() : scope.Lookup());
        if (s.ok()) resolved_src = *s;
      }
      if (resolved_src.contains("raw")) {
        in.raw = ToText(resolved_src["raw"].value("data", json("")));
      } else if (resolved_src.contains("from")) {
        in.key = ToText(resolved_src["from"]);
      } else if (auto k = ArtifactKey(resolved_src)) {
        in.key = *k;
      } else if (auto k2 = ArtifactKey(ia)) {
        in.key = *k2;
      } else if (ia.contains("raw")) {
        in.raw = ToText(ia["raw"].value("data", json("")));
      } else if (!in.optional) {
        SetPhase(node, NodePhase::kError, "input artifact '" + in.name + "' has no source");
        return;
      }
      pod.input_artifacts.push_back(std::move(in));
    }
  }
  if (r.contains("outputs")) {
    for (const auto& p : r["outputs"].value("parameters", json::array())) {
      if (p.contains("valueFrom") && p["valueFrom"].contains("path"))
        pod.output_parameters.push_back(
            {p.value("name", std::string()), ToText(p["valueFrom"]["path"]), "", false});
    }
    for (const auto& o : r["outputs"].value("artifacts", json::array())) {
      std::string oname = o.value("name", std::string());
      pod.output_artifacts.push_back({oname, o.value("path", std::string()),
                                      ArtifactKey(o).value_or(name_ + "/" + node.id + "/" + oname),
                                      o.value("optional", false)});
    }
  }
  if (r.contains("activeDeadlineSeconds")) pod.deadline = ParseDuration(r["activeDeadlineSeconds"]);
  if (r.contains("timeout"))
    if (auto d = ParseDuration(r["timeout"])) pod.deadline = d;
  if (inv.extra_globals.count("x-step-timeout"))
    if (auto d = ParseDuration(json(inv.extra_globals.at("x-step-timeout")))) pod.deadline = d;
  if (!node.started_at) node.started_at = now_;
  ++active_pods_;
  actions_.push_back(std::move(a));
}

void WorkflowEngine::ExecuteSuspend(Node& node, const json& tmpl, Scope& scope) {
  if (IsDone(node.phase)) return;
  if (stopping_) {
    SetPhase(node, NodePhase::kFailed, stop_message_);
    return;
  }
  const json& s = tmpl["suspend"];
  if (s.is_object() && s.contains("duration")) {
    auto d = Substitute(ToText(s["duration"]), scope.Lookup());
    if (auto dur = ParseDuration(json(d.ok() ? *d : std::string()))) {
      TimePoint at = (node.started_at ? *node.started_at : now_) + *dur;
      if (now_ >= at) {
        FinishFromTemplateOutputs(node, tmpl, scope);
        return;
      }
      if (!node.wake_at) {
        node.wake_at = at;
        MarkDirty(node);
      }
      UpdateWake(at);
    }
  }
}

void WorkflowEngine::FinishFromTemplateOutputs(Node& node, const json& tmpl, Scope& scope) {
  node.outputs.clear();
  if (tmpl.contains("outputs")) {
    for (const auto& p : tmpl["outputs"].value("parameters", json::array())) {
      std::string pname = p.value("name", std::string());
      const json vf = p.value("valueFrom", json::object());
      std::optional<std::string> value;
      if (vf.contains("parameter")) {
        auto v = Substitute(ToText(vf["parameter"]), scope.Lookup());
        if (v.ok() && !HasTag(*v)) value = *v;
      } else if (vf.contains("expression")) {
        auto v = Evaluate(ToText(vf["expression"]), Dialect::kExpr, scope.Lookup());
        if (v.ok()) value = ToText(*v);
      } else if (p.contains("value")) {
        auto v = Substitute(ToText(p["value"]), scope.Lookup());
        if (v.ok()) value = *v;
      }
      if (!value && vf.contains("default")) value = ToText(vf["default"]);
      if (!value) {
        SetPhase(node, NodePhase::kError, "unable to resolve output parameter '" + pname + "'");
        return;
      }
      node.outputs.push_back({pname, *value});
      if (p.contains("globalName")) SetGlobalOutput(ToText(p["globalName"]), *value);
    }
    node.artifacts.clear();
    for (const auto& a : tmpl["outputs"].value("artifacts", json::array())) {
      if (!a.contains("from")) continue;
      auto v = Substitute(ToText(a["from"]), scope.Lookup());
      if (v.ok() && !HasTag(*v)) node.artifacts.push_back({a.value("name", std::string()), *v});
    }
  }
  SetPhase(node, NodePhase::kSucceeded);
}

Node* WorkflowEngine::RunStepLike(const json& step, const std::string& name,
                                  const std::string& display, Node& parent, Node& boundary,
                                  Scope& scope, int item_index, const std::string& scope_key) {
  Node* existing = by_name_.count(name) ? by_name_[name] : nullptr;
  if (!existing && step.contains("when")) {
    auto w = Substitute(ToText(step["when"]), scope.Lookup());
    std::string err;
    bool run = true;
    if (!w.ok()) {
      err = w.status().message();
    } else if (HasTag(*w)) {
      err = "when '" + *w + "': unresolved variable";
    } else {
      auto v = Evaluate(*w, Dialect::kGovaluate, scope.Lookup());
      if (!v.ok())
        err = "when '" + *w + "': " + v.status().message();
      else
        run = Truthy(*v);
    }
    if (!err.empty()) {
      Node& n = CreateNode(name, display, NodeType::kSkipped, "", boundary.id, &parent);
      n.item_index = item_index;
      SetPhase(n, NodePhase::kError, err);
      return &n;
    }
    if (!run) {
      Node& n = CreateNode(name, display, NodeType::kSkipped, "", boundary.id, &parent);
      n.item_index = item_index;
      SetPhase(n, NodePhase::kSkipped, "when '" + *w + "' evaluated false");
      return &n;
    }
  }
  if (existing && existing->type == NodeType::kSkipped) return existing;
  auto resolved = ResolveTemplate(step, scope_key);
  if (!resolved.ok()) {
    Node* n = existing ? existing
                       : &CreateNode(name, display, NodeType::kSkipped, "", boundary.id, &parent);
    SetPhase(*n, NodePhase::kError, resolved.status().message());
    return n;
  }
  Invocation inv;
  inv.name = name;
  inv.display = display;
  inv.boundary_id = boundary.id;
  inv.parent = &parent;
  inv.tmpl = std::move(resolved->first);
  inv.scope_key = resolved->second;
  inv.item_index = item_index;
  inv.hook = boundary.hook;
  if (step.contains("arguments")) {
    const json& args = step["arguments"];
    for (const auto& p : args.value("parameters", json::array())) {
      std::string v = p.contains("value") ? ToText(p["value"]) : "";
      auto sub = Substitute(v, scope.Lookup());
      std::string pname = p.value("name", std::string());
      // An output of a step that was skipped (or omitted) does not exist; the input's own
      // default then applies, as it would had the argument not been given.
      if ((!sub.ok() || HasTag(*sub)) && v.find(".outputs.") != std::string::npos &&
          HasInputDefault(inv.tmpl, pname))
        continue;
      if (!sub.ok()) {
        Node* n = existing
                      ? existing
                      : &CreateNode(name, display, NodeType::kSkipped, "", boundary.id, &parent);
        SetPhase(*n, NodePhase::kError, sub.status().message());
        return n;
      }
      inv.args.push_back({pname, *sub});
    }
    if (args.contains("artifacts")) {
      auto a = SubstituteJson(args["artifacts"], scope.Lookup());
      if (a.ok()) inv.arg_artifacts = *a;
    }
  }
  if (step.contains("timeout")) inv.extra_globals["x-step-timeout"] = ToText(step["timeout"]);
  // Inside an exit handler the run's outcome stays visible to every template it calls.
  for (const char* k : {"workflow.status", "workflow.failures"})
    if (auto v = scope.Get(k); v && !inv.extra_globals.count(k)) inv.extra_globals[k] = *v;
  Node* n = ExecuteTemplate(inv);
  if (!n || !IsDone(n->phase)) return n;
  std::string hook;
  if (step.contains("onExit")) hook = ToText(step["onExit"]);
  if (step.contains("hooks") && step["hooks"].contains("exit"))
    hook = step["hooks"]["exit"].value("template", hook);
  if (hook.empty() || terminating_) return n;
  Node* h = RunExitHook(json{{"template", hook}}, *n, scope, scope_key);
  if (!h || !IsDone(h->phase)) return h ? h : n;
  return n;
}

Node* WorkflowEngine::RunExitHook(const json& hook, Node& owner, Scope& scope,
                                  const std::string& scope_key) {
  auto resolved = ResolveTemplate(hook, scope_key);
  std::string name = owner.name + ".onExit";
  if (!resolved.ok()) {
    Node* n = by_name_.count(name)
                  ? by_name_[name]
                  : &CreateNode(name, name, NodeType::kSkipped, "", owner.boundary_id, nullptr);
    SetPhase(*n, NodePhase::kError, resolved.status().message());
    return n;
  }
  Invocation inv;
  inv.name = name;
  inv.display = owner.display_name + ".onExit";
  inv.boundary_id = owner.boundary_id;
  auto b = by_id_.find(owner.boundary_id);
  inv.parent = b != by_id_.end() ? b->second : nullptr;
  inv.tmpl = std::move(resolved->first);
  inv.scope_key = resolved->second;
  inv.hook = true;
  inv.extra_globals["workflow.status"] = std::string(NodePhaseName(owner.phase));
  return ExecuteTemplate(inv);
}

namespace {

struct TaskState {
  bool done = false;
  NodePhase phase = NodePhase::kPending;
  DependencyResult result;
  const Node* node = nullptr;
};

DependencyResult ResultOf(const std::vector<const Node*>& nodes) {
  DependencyResult r;
  if (nodes.empty()) return r;
  bool all_failed = true;
  for (const Node* n : nodes) {
    if (n->phase == NodePhase::kSucceeded) r.any_succeeded = true;
    if (n->phase != NodePhase::kFailed) all_failed = false;
  }
  r.all_failed = all_failed;
  const Node* n = nodes.size() == 1 ? nodes[0] : nullptr;
  if (n) {
    r.succeeded = n->phase == NodePhase::kSucceeded;
    r.failed = n->phase == NodePhase::kFailed;
    r.errored = n->phase == NodePhase::kError;
    r.skipped = n->phase == NodePhase::kSkipped;
    r.omitted = n->phase == NodePhase::kOmitted;
  }
  return r;
}

// The nodes a step or task produced: the one named `prefix`, or its loop children.
bool IsChildOf(const std::string& name, const std::string& prefix) {
  return name.size() >= prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
         (name.size() == prefix.size() || name[prefix.size()] == '(');
}
}  // namespace

void WorkflowEngine::ExecuteSteps(Node& node, const json& tmpl, Scope& scope, Invocation& inv) {
  if (IsDone(node.phase)) return;
  Scope s{&scope, {}};
  const json& groups = tmpl["steps"];
  int parallelism = tmpl.contains("parallelism") ? tmpl["parallelism"].get<int>() : 0;
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    const json& group = groups[gi];
    std::string gname = node.name + "[" + std::to_string(gi) + "]";
    Node* g = by_name_.count(gname) ? by_name_[gname] : nullptr;
    if (!g) {
      g = &CreateNode(gname, "[" + std::to_string(gi) + "]", NodeType::kStepGroup, "", node.id,
                      &node);
      g->hook = node.hook;
      SetPhase(*g, NodePhase::kRunning);
    }
    std::vector<std::vector<const Node*>> per_step(group.size());
    std::vector<bool> looped(group.size(), false);
    if (!IsDone(g->phase) || !pending_exits_.empty()) {
      bool all_done = true;
      bool failed = false;
      std::string fail_msg;
      int running = 0;
      for (const auto& c : g->children) running += StillRunning(c);
      for (size_t si = 0; si < group.size(); ++si) {
        const json& step = group[si];
        std::string sname = step.value("name", std::string());
        std::string base = gname + "." + sname;
        auto rendered = SubstituteJson(json{{"withItems", step.value("withItems", json())},
                                            {"withParam", step.value("withParam", json())},
                                            {"withSequence", step.value("withSequence", json())}},
                                       s.Lookup());
        json loop = json::object();
        if (rendered.ok()) {
          for (const char* k : {"withItems", "withParam", "withSequence"})
            if (step.contains(k)) loop[k] = (*rendered)[k];
        }
        auto items = ExpandItems(loop);
        if (!rendered.ok() || !items.ok()) {
          Node* n = by_name_.count(base)
                        ? by_name_[base]
                        : &CreateNode(base, sname, NodeType::kSkipped, "", node.id, g);
          SetPhase(*n, NodePhase::kError,
                   !rendered.ok() ? rendered.status().message() : items.status().message());
          per_step[si].push_back(n);
          failed = true;
          fail_msg = n->message;
          continue;
        }
        std::vector<std::tuple<std::string, std::string, int, json>> children;
        if (!*items) {
          children.emplace_back(base, sname, -1, json());
        } else {
          looped[si] = true;
          if ((*items)->empty()) {
            Node* n = by_name_.count(base)
                          ? by_name_[base]
                          : &CreateNode(base, sname, NodeType::kSkipped, "", node.id, g);
            if (!IsDone(n->phase)) SetPhase(*n, NodePhase::kSkipped, "Skipped, empty params");
            per_step[si].push_back(n);
            continue;
          }
          for (size_t k = 0; k < (*items)->size(); ++k) {
            const json& item = (**items)[k];
            std::string disp = sname + "(" + std::to_string(k) + ":" + ItemDisplay(item) + ")";
            children.emplace_back(gname + "." + disp, disp, static_cast<int>(k), item);
          }
        }
        for (auto& [cname, cdisp, idx, item] : children) {
          Node* existing = by_name_.count(cname) ? by_name_[cname] : nullptr;
          if (existing && IsDone(existing->phase) && !pending_exits_.count(existing->id) &&
              (!HasExitHook(step) || HookDone(cname))) {
            per_step[si].push_back(existing);
            if (IsFailure(existing->phase) && !ContinuesOn(step, existing->phase)) {
              failed = true;
              fail_msg = "child '" + existing->id + "' failed";
            }
            continue;
          }
          if (!existing && parallelism > 0 && running >= parallelism) {
            all_done = false;
            continue;
          }
          Scope cs{&s, {}};
          if (idx >= 0) {
            cs.vars["item"] = ToText(item);
            if (item.is_object())
              for (auto it = item.begin(); it != item.end(); ++it)
                cs.vars["item." + it.key()] = ToText(it.value());
          }
          Node* n = RunStepLike(step, cname, cdisp, *g, node, cs, idx, inv.scope_key);
          if (!existing && n) ++running;
          if (!n) {
            all_done = false;
            continue;
          }
          Node* real = by_name_.count(cname) ? by_name_[cname] : n;
          per_step[si].push_back(real);
          if (!IsDone(n->phase)) {
            all_done = false;
          } else if (IsFailure(real->phase) && !ContinuesOn(step, real->phase)) {
            failed = true;
            fail_msg = "child '" + real->id + "' failed";
          }
        }
      }
      if (!all_done) return;
      SetPhase(*g, failed ? NodePhase::kFailed : NodePhase::kSucceeded, fail_msg);
    } else {
      for (size_t si = 0; si < group.size(); ++si) {
        std::string base = gname + "." + group[si].value("name", std::string());
        looped[si] = group[si].contains("withItems") || group[si].contains("withParam") ||
                     group[si].contains("withSequence");
        for (const auto& c : g->children) {
          auto it = by_id_.find(c);
          if (it != by_id_.end() && IsChildOf(it->second->name, base))
            per_step[si].push_back(it->second);
        }
      }
    }
    if (IsFailure(g->phase)) {
      SetPhase(node, NodePhase::kFailed, g->message);
      return;
    }
    for (size_t si = 0; si < group.size(); ++si) {
      std::string sname = group[si].value("name", std::string());
      bool aggregate =
          looped[si] &&
          !(per_step[si].size() == 1 && per_step[si][0]->type == NodeType::kSkipped &&
            per_step[si][0]->item_index < 0 && per_step[si][0]->name == gname + "." + sname);
      AddOutputsToScope(s, "steps." + sname, per_step[si], aggregate);
    }
  }
  FinishFromTemplateOutputs(node, tmpl, s);
}

void WorkflowEngine::ExecuteDag(Node& node, const json& tmpl, Scope& scope, Invocation& inv) {
  if (IsDone(node.phase)) return;
  Scope s{&scope, {}};
  const json& dag = tmpl["dag"];
  const json tasks = dag.value("tasks", json::array());
  bool fail_fast = dag.value("failFast", true);
  int parallelism = tmpl.contains("parallelism") ? tmpl["parallelism"].get<int>() : 0;
  std::map<std::string, const json*> by_task;
  std::vector<std::string> order;
  for (const auto& t : tasks) {
    by_task[t.value("name", std::string())] = &t;
  }
  std::map<std::string, std::vector<std::string>> deps;
  for (const auto& t : tasks) {
    std::string tn = t.value("name", std::string());
    if (t.contains("depends")) {
      deps[tn] = DependsTaskNames(ToText(t["depends"]));
    } else if (t.contains("dependencies")) {
      for (const auto& d : t["dependencies"]) deps[tn].push_back(ToText(d));
    }
  }
  // Topological order (validated acyclic at submit; a cycle here just stops the walk).
  std::set<std::string> seen, visiting;
  std::function<void(const std::string&)> visit = [&](const std::string& t) {
    if (seen.count(t) || visiting.count(t) || !by_task.count(t)) return;
    visiting.insert(t);
    for (const auto& d : deps[t]) visit(d);
    visiting.erase(t);
    seen.insert(t);
    order.push_back(t);
  };
  std::set<std::string> wanted;
  std::vector<std::string> targets;
  if (dag.contains("target")) {
    auto target = Substitute(ToText(dag["target"]), s.Lookup());
    std::string tt = target.ok() ? *target : ToText(dag["target"]);
    for (char& c : tt)
      if (c == ',') c = ' ';
    std::istringstream in(tt);
    for (std::string w; in >> w;) targets.push_back(w);
    std::function<void(const std::string&)> want = [&](const std::string& t) {
      if (wanted.count(t)) return;
      wanted.insert(t);
      for (const auto& d : deps[t]) want(d);
    };
    for (const auto& t : targets) want(t);
    for (const auto& t : targets) visit(t);
  } else {
    for (const auto& t : tasks) visit(t.value("name", std::string()));
    std::set<std::string> depended;
    for (const auto& [t, ds] : deps)
      for (const auto& d : ds) depended.insert(d);
    for (const auto& t : tasks)
      if (!depended.count(t.value("name", std::string())))
        targets.push_back(t.value("name", std::string()));
  }
  int running = 0;
  for (const auto& c : node.children) running += StillRunning(c);
  // Under failFast, a failure stops new tasks unless some task's `depends` handles it.
  std::set<std::string> handled;
  for (const auto& t : tasks) {
    if (t.contains("continueOn")) handled.insert(t.value("name", std::string()));
    if (!t.contains("depends")) continue;
    std::string expr = ToText(t["depends"]);
    for (const auto& d : DependsTaskNames(expr))
      for (const char* q : {".Failed", ".Errored", ".AllFailed", ".AnySucceeded", ".Omitted"})
        if (expr.find(d + q) != std::string::npos) handled.insert(d);
  }
  std::map<std::string, TaskState> state;
  bool any_failed = false;  // a failure failFast acts on
  bool any_task_failed = false;
  bool blocked = false;
  bool pending = false;
  for (const auto& tn : order) {
    const json& task = *by_task[tn];
    std::string tname = node.name + "." + tn;
    bool deps_done = true;
    for (const auto& d : deps[tn])
      if (!state.count(d) || !state[d].done) deps_done = false;
    if (!deps_done) {
      pending = true;
      continue;
    }
    Node* existing = by_name_.count(tname) ? by_name_[tname] : nullptr;
    if (!existing) {
      // Should it run at all?
      std::string expr;
      if (task.contains("depends")) {
        expr = ToText(task["depends"]);
      } else if (task.contains("dependencies")) {
        for (const auto& d : task["dependencies"]) expr += (expr.empty() ? "" : " && ") + ToText(d);
      }
      if (!expr.empty()) {
        std::map<std::string, DependencyResult> results;
        for (const auto& d : deps[tn]) results[d] = state[d].result;
        auto ok = EvaluateDepends(expr, results);
        if (!ok.ok() || !*ok) {
          Node& n = CreateNode(tname, tn, NodeType::kSkipped, "", node.id, &node);
          SetPhase(n, NodePhase::kOmitted,
                   ok.ok() ? "omitted: depends condition not met" : ok.status().message());
          state[tn] = {true, n.phase, {}, &n};
          state[tn].result = ResultOf({&n});
          continue;
        }
      }
      if (fail_fast && any_failed) {
        blocked = true;
        continue;
      }
      if (stopping_ && !node.hook) {
        blocked = true;
        continue;
      }
    }
    // Loop?
    auto rendered = SubstituteJson(json{{"withItems", task.value("withItems", json())},
                                        {"withParam", task.value("withParam", json())},
                                        {"withSequence", task.value("withSequence", json())}},
                                   s.Lookup());
    json loop = json::object();
    if (rendered.ok())
      for (const char* k : {"withItems", "withParam", "withSequence"})
        if (task.contains(k)) loop[k] = (*rendered)[k];
    auto items = ExpandItems(loop);
    std::vector<const Node*> produced;
    bool done = true;
    bool aggregate = false;
    Node* top = existing;
    if (!rendered.ok() || !items.ok()) {
      Node* n =
          existing ? existing : &CreateNode(tname, tn, NodeType::kSkipped, "", node.id, &node);
      SetPhase(*n, NodePhase::kError,
               !rendered.ok() ? rendered.status().message() : items.status().message());
      produced.push_back(n);
      top = n;
    } else if (*items) {
      aggregate = true;
      if ((*items)->empty()) {
        Node* n =
            existing ? existing : &CreateNode(tname, tn, NodeType::kSkipped, "", node.id, &node);
        if (!IsDone(n->phase)) SetPhase(*n, NodePhase::kSkipped, "Skipped, empty params");
        top = n;
      } else {
        Node* tg = existing;
        if (!tg) {
          tg = &CreateNode(tname, tn, NodeType::kTaskGroup, "", node.id, &node);
          SetPhase(*tg, NodePhase::kRunning);
        }
        top = tg;
        bool failed = false;
        int tg_running = 0;
        for (const auto& c : tg->children) tg_running += StillRunning(c);
        // While the run's pod slots are full, an item not yet started cannot start: it is
        // passed over without resolving its template (a 10,000-item loop under `parallelism`
        // would otherwise be walked item by item on every event).
        int pod_limit = spec_.contains("parallelism") ? spec_["parallelism"].get<int>() : 0;
        bool pod_items = false;
        if (pod_limit > 0) {
          auto r = ResolveTemplate(task, inv.scope_key);
          pod_items = r.ok() && IsPodKind(TemplateKind(r->first));
        }
        for (size_t k = 0; k < (*items)->size(); ++k) {
          const json& item = (**items)[k];
          std::string disp = tn + "(" + std::to_string(k) + ":" + ItemDisplay(item) + ")";
          std::string cname = node.name + "." + disp;
          Node* ce = by_name_.count(cname) ? by_name_[cname] : nullptr;
          if (ce && IsDone(ce->phase) && !pending_exits_.count(ce->id) &&
              (!HasExitHook(task) || HookDone(cname))) {
            produced.push_back(ce);
            if (IsFailure(ce->phase) && !ContinuesOn(task, ce->phase)) failed = true;
            continue;
          }
          if (!ce &&
              ((parallelism > 0 && running + tg_running >= parallelism) ||
               (pod_items && !stopping_ && active_pods_ >= pod_limit) || IsDone(tg->phase))) {
            done = false;
            continue;
          }
          Scope cs{&s, {}};
          cs.vars["item"] = ToText(item);
          if (item.is_object())
            for (auto it = item.begin(); it != item.end(); ++it)
              cs.vars["item." + it.key()] = ToText(it.value());
          Node* n =
              RunStepLike(task, cname, disp, *tg, node, cs, static_cast<int>(k), inv.scope_key);
          if (!ce && n) ++tg_running;
          if (!n || !IsDone(n->phase)) {
            done = false;
            if (n) produced.push_back(by_name_.count(cname) ? by_name_[cname] : n);
            continue;
          }
          Node* real = by_name_.count(cname) ? by_name_[cname] : n;
          produced.push_back(real);
          if (IsFailure(real->phase) && !ContinuesOn(task, real->phase)) failed = true;
        }
        if (done && !IsDone(tg->phase))
          SetPhase(*tg, failed ? NodePhase::kFailed : NodePhase::kSucceeded,
                   failed ? "child failed" : "");
      }
    } else {
      if (!existing && parallelism > 0 && running >= parallelism) {
        pending = true;
        continue;
      }
      Node* n = RunStepLike(task, tname, tn, node, node, s, -1, inv.scope_key);
      if (!existing && n) ++running;
      if (!n) {
        pending = true;
        continue;
      }
      top = by_name_.count(tname) ? by_name_[tname] : n;
      produced.push_back(top);
      if (!IsDone(n->phase)) done = false;
    }
    if (!done || !top) {
      pending = true;
      state[tn] = {false, top ? top->phase : NodePhase::kPending, {}, top};
      continue;
    }
    TaskState ts{true, top->phase, {}, top};
    ts.result = ResultOf(produced.empty() ? std::vector<const Node*>{top} : produced);
    if (top->type == NodeType::kTaskGroup || top->type == NodeType::kSkipped) {
      ts.result.succeeded = top->phase == NodePhase::kSucceeded;
      ts.result.failed = top->phase == NodePhase::kFailed;
      ts.result.errored = top->phase == NodePhase::kError;
      ts.result.skipped = top->phase == NodePhase::kSkipped;
      ts.result.omitted = top->phase == NodePhase::kOmitted;
    }
    if (ContinuesOn(task, NodePhase::kFailed) && top->phase == NodePhase::kFailed)
      ts.result.continued = true;
    if (ContinuesOn(task, NodePhase::kError) && top->phase == NodePhase::kError)
      ts.result.continued = true;
    state[tn] = ts;
    if (IsFailure(top->phase) && !ContinuesOn(task, top->phase) && !handled.count(tn))
      any_failed = true;
    if (IsFailure(top->phase) && !ContinuesOn(task, top->phase)) any_task_failed = true;
    AddOutputsToScope(s, "tasks." + tn, produced.empty() ? std::vector<const Node*>{top} : produced,
                      aggregate && !(*items && (*items)->empty()));
  }
  if (pending) {
    // Something still runs or waits on what runs; with fail-fast, what never started stays so.
    for (const auto& [t, st] : state)
      if (!st.done) return;
    bool any_running = false;
    for (const auto& c : node.children) {
      auto it = by_id_.find(c);
      if (it != by_id_.end() && !IsDone(it->second->phase)) any_running = true;
    }
    if (any_running || !(blocked || any_failed)) return;
  }
  // Assess the DAG's phase from its target tasks (Argo's assessDAGPhase).
  std::function<NodePhase(const std::string&, int)> branch = [&](const std::string& t,
                                                                 int depth) -> NodePhase {
    auto it = state.find(t);
    if (it == state.end() || !it->second.node)
      return any_task_failed ? NodePhase::kFailed : NodePhase::kSucceeded;
    NodePhase p = it->second.node->phase;
    if (p != NodePhase::kOmitted || depth > 1000) return p;
    NodePhase inherited = NodePhase::kSucceeded;
    for (const auto& d : deps[t]) {
      NodePhase dp = branch(d, depth + 1);
      if (IsFailure(dp)) {
        auto dt = by_task.find(d);
        if (dt != by_task.end() && ContinuesOn(*dt->second, dp)) continue;
        inherited = dp;
      }
    }
    return inherited;
  };
  NodePhase result = NodePhase::kSucceeded;
  std::string message;
  for (const auto& t : targets) {
    NodePhase p = branch(t, 0);
    if (IsFailure(p)) {
      auto task = by_task.find(t);
      if (task != by_task.end() && ContinuesOn(*task->second, p)) continue;
      result = p;
      message = "child '" + (state.count(t) && state[t].node ? state[t].node->id : t) + "' failed";
    }
  }
  if (result == NodePhase::kSucceeded && blocked && any_failed) {
    result = NodePhase::kFailed;
    message = "a task failed (failFast)";
  }
  if (result != NodePhase::kSucceeded) {
    SetPhase(node, result, message);
    return;
  }
  FinishFromTemplateOutputs(node, tmpl, s);
}

}  // namespace corral::workflow
