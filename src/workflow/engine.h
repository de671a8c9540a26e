#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "workflow/node.h"

namespace corral::workflow {

// What a Pod node runs, fully resolved: no `{{...}}` left that the engine could resolve.
struct ContainerRun {
  std::string name;
  std::string image;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::string workdir;
  std::vector<std::string> dependencies;  // containerSet: names that must succeed first
};

struct InputArtifact {
  std::string name;
  std::string path;                // where the step sees it
  std::optional<std::string> key;  // in the artifact store
  std::optional<std::string> raw;  // inline contents
  bool optional = false;
};

struct OutputFile {
  std::string name;
  std::string path;  // as the step sees it
  std::string key;   // artifacts: where it goes in the artifact store
  bool optional = false;
};

struct PodRequest {
  std::string node_id;
  std::string node_name;
  std::string display_name;
  std::string template_name;
  ContainerRun main;
  std::optional<std::string> script;     // source; its file's path is appended to the args
  std::vector<ContainerRun> containers;  // containerSet: run together in one job
  std::vector<InputArtifact> input_artifacts;
  std::vector<OutputFile> output_parameters;
  std::vector<OutputFile> output_artifacts;
  std::optional<Duration> deadline;  // activeDeadlineSeconds / timeout of the template
};

// How a Pod node's process ended, with what the runner collected from its private directory.
struct PodExit {
  int exit_code = 0;
  bool cancelled = false;
  std::string message;  // set when it did not exit on its own (time limit, launch failure)
  std::string stdout_text;
  std::map<std::string, std::string> parameters;    // output parameters whose file existed
  std::vector<std::string> artifacts;               // output artifacts that were saved
  std::map<std::string, int> container_exit_codes;  // containerSet
};

struct Action {
  enum class Kind { kStartPod, kCancelPod };
  Kind kind = Kind::kStartPod;
  PodRequest pod;       // kStartPod
  std::string node_id;  // kCancelPod
  int64_t job_id = 0;   // kCancelPod
};

// Memoization cache and mutex/semaphore holders, shared by every run (owned by the controller).
class EngineServices {
 public:
  virtual ~EngineServices() = default;
  virtual std::optional<std::string> MemoGet(const std::string& cache, const std::string& key,
                                             std::optional<int64_t> max_age_s) = 0;
  virtual void MemoPut(const std::string& cache, const std::string& key,
                       const std::string& outputs) = 0;
  // True when `holder` holds (or now takes) one of `limit` slots of `lock`.
  virtual bool Acquire(const std::string& lock, const std::string& holder, int limit) = 0;
  virtual void Release(const std::string& lock, const std::string& holder) = 0;
};

enum class RunPhase { kPending, kRunning, kSucceeded, kFailed, kError };
std::string_view RunPhaseName(RunPhase p);
std::optional<RunPhase> ParseRunPhase(std::string_view s);

// One workflow run as a pure state machine: the spec and the nodes are its whole state. Events
// (a pod started or exited, a user's command, time passing) change nodes; Operate walks the
// template tree from the nodes as they are, Argo's way, creates the nodes that are due and says
// which pods to start or cancel. Because Operate derives everything from the nodes, a run
// rebuilt from stored nodes goes on exactly where it was.
class WorkflowEngine {
 public:
  // `spec` is the Workflow's spec (workflowTemplateRef already merged); `refs` maps
  // "<Kind>/<name>" to the referenced WorkflowTemplates' specs.
  WorkflowEngine(std::string name, nlohmann::json spec, nlohmann::json refs, TimePoint created);

  // Rebuilds a run from its stored state and nodes.
  Status Restore(const nlohmann::json& state, std::vector<Node> nodes);
  nlohmann::json StateJson() const;

  // ---- events ----
  void OnPodJob(const std::string& node_id, int64_t job_id);
  void OnPodStarted(const std::string& node_id, TimePoint at);
  void OnPodExited(const std::string& node_id, const PodExit& exit, TimePoint at);
  Status Suspend();
  Status Resume(TimePoint now);
  // Stop: running pods are cancelled, exit handlers still run. Terminate: no exit handlers.
  Status Stop(const std::string& message, TimePoint now);
  Status Terminate(TimePoint now);
  // Failed/errored nodes (and the nodes above them) are forgotten so that Operate runs them again.
  Status RetryFailed(TimePoint now);

  // Walks the run and returns what to do. Call after every batch of events.
  std::vector<Action> Operate(TimePoint now, EngineServices& services);

  // ---- reading ----
  const std::string& name() const { return name_; }
  const nlohmann::json& spec() const { return spec_; }
  RunPhase phase() const { return phase_; }
  const std::string& message() const { return message_; }
  bool finished() const { return phase_ != RunPhase::kPending && phase_ != RunPhase::kRunning; }
  bool suspended() const { return suspended_; }
  std::optional<TimePoint> started_at() const { return started_at_; }
  std::optional<TimePoint> finished_at() const { return finished_at_; }
  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  const Node* FindById(const std::string& id) const;
  const Node* FindByName(const std::string& name) const;
  // Pod nodes done / all Pod nodes.
  std::pair<int, int> Progress() const;
  std::vector<NamedValue> OutputParameters() const;
  std::vector<NodeArtifact> OutputArtifacts() const;
  // The earliest time Operate has something to do without an event (back-off, deadline).
  std::optional<TimePoint> NextWake() const { return next_wake_; }
  // Nodes changed since the last call (to persist), and whether the run's own state did.
  std::vector<const Node*> TakeDirty();
  bool TakeStateDirty();
  // Names of nodes forgotten since the last call (retry of a failed run).
  std::vector<std::string> TakeRemoved();

  struct Invocation;
  struct Scope;

 private:
  Node* ExecuteTemplate(Invocation& inv);
  void ExecutePod(Node& node, const nlohmann::json& tmpl, Scope& scope, Invocation& inv);
  void ExecuteSteps(Node& node, const nlohmann::json& tmpl, Scope& scope, Invocation& inv);
  void ExecuteDag(Node& node, const nlohmann::json& tmpl, Scope& scope, Invocation& inv);
  void ExecuteSuspend(Node& node, const nlohmann::json& tmpl, Scope& scope);
  void FinishFromTemplateOutputs(Node& node, const nlohmann::json& tmpl, Scope& scope);
  Node* RunStepLike(const nlohmann::json& step, const std::string& name, const std::string& display,
                    Node& parent, Node& boundary, Scope& scope, int item_index,
                    const std::string& scope_key);
  Node* RunExitHook(const nlohmann::json& hook, Node& owner, Scope& scope,
                    const std::string& scope_key);

  Result<std::pair<nlohmann::json, std::string>> ResolveTemplate(const nlohmann::json& holder,
                                                                 const std::string& scope_key);
  const nlohmann::json* TemplatesOf(const std::string& scope_key) const;

  Node& CreateNode(const std::string& name, const std::string& display, NodeType type,
                   const std::string& template_name, const std::string& boundary_id, Node* parent);
  void SetPhase(Node& n, NodePhase p, const std::string& message = {});
  void MarkDirty(const Node& n) { dirty_.insert(n.id); }
  void AddOutputsToScope(Scope& scope, const std::string& prefix,
                         const std::vector<const Node*>& group, bool aggregate);
  int ActivePods() const;
  // Not finished, and no exit of it waiting to be applied.
  bool StillRunning(const std::string& id) const;
  bool Exiting(const Node& n) const;
  bool HookDone(const std::string& owner_name) const;
  void CancelRunning(const std::string& message);
  void UpdateWake(TimePoint t);
  void Finish(RunPhase phase, const std::string& message, TimePoint now);

  std::string name_;
  nlohmann::json spec_;
  nlohmann::json refs_;
  TimePoint created_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::unordered_map<std::string, Node*> by_name_;
  std::unordered_map<std::string, Node*> by_id_;
  std::unordered_set<std::string> dirty_;
  bool state_dirty_ = true;
  RunPhase phase_ = RunPhase::kPending;
  std::string message_;
  std::optional<TimePoint> started_at_;
  std::optional<TimePoint> finished_at_;
  bool suspended_ = false;
  bool stopping_ = false;     // stop: no new pods, exit handlers run
  bool terminating_ = false;  // terminate: no new pods, no exit handlers
  std::string stop_message_;
  std::vector<NamedValue> outputs_;
  std::vector<NodeArtifact> output_artifacts_;
  // Set during Operate.
  TimePoint now_{};
  EngineServices* services_ = nullptr;
  std::vector<Action> actions_;
  std::optional<TimePoint> next_wake_;
  int active_pods_ = 0;
  const Scope* globals_ = nullptr;
  // Pod exits heard since the last Operate, which turns them into phases and outputs.
  std::map<std::string, std::pair<PodExit, TimePoint>> pending_exits_;
  std::unordered_set<std::string> cancel_sent_;
  std::string held_workflow_lock_;
  bool deadline_exceeded_ = false;
  std::vector<std::string> removed_;
};

// Argo's display of a loop item: strings as they are, maps as "k1:v1,k2:v2", others as JSON.
std::string ItemDisplay(const nlohmann::json& item);
// Expands withItems / withParam / withSequence of a step or task (after substitution).
Result<std::optional<std::vector<nlohmann::json>>> ExpandItems(const nlohmann::json& step);

}  // namespace corral::workflow
