#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "exec/executor.h"
#include "jobs/job_controller.h"
#include "model/workflow.h"
#include "store/store.h"
#include "workflow/engine.h"
#include "workflow_runner/image_map.h"
#include "workflow_runner/step_files.h"

namespace corral::workflow_runner {

struct WorkflowControllerOptions {
  std::string steps_root;               // per-step private directories
  std::string artifact_dir;             // the artifact store
  std::string bwrap;                    // "" = no private /tmp
  std::vector<std::string> root_binds;  // see StepSandbox
  // The local account a user's steps run as (as the job controller's), to hand step
  // directories over to it. Unset: steps run as this server's account.
  std::function<Result<exec::RunAs>(const User&)> account_for;
};

// What a reader sees of one run.
struct WorkflowView {
  WorkflowRow row;
  std::string progress;  // "done/total" Pod nodes
  nlohmann::json spec;   // the submitted document
  std::vector<workflow::Node> nodes;
  std::vector<workflow::NamedValue> outputs;
  std::vector<workflow::NodeArtifact> artifacts;
};

struct CreatedWorkflow {
  int64_t id = 0;
  std::string name;
  std::vector<std::string> warnings;
};

struct StoredTemplate {
  std::string kind;
  std::string name;
  TimePoint created_at;
};

// Runs workflows: keeps each active run's engine, turns its actions into jobs (one per Pod node,
// submitted with a JobParent naming the run and the node) and the jobs' events back into engine
// events. Everything it decides is written to the store's open transaction with the job submits
// it goes with, so that a crash neither loses nor repeats a step. Control thread only.
class WorkflowController final : public jobs::JobObserver, public workflow::EngineServices {
 public:
  WorkflowController(store::Store& store, jobs::JobController& jobs, const Clock& clock,
                     ImageMap images, WorkflowControllerOptions options);
  ~WorkflowController() override;

  // Takes back the runs a previous server left; call after JobController::Recover.
  Status Recover();

  // `doc` is an Argo Workflow (or a native spec of the same shape), already parsed from YAML/JSON.
  Result<CreatedWorkflow> Create(const jobs::Caller& caller, const nlohmann::json& doc);
  Result<std::vector<WorkflowView>> List(const jobs::Caller& caller, const std::string& phase,
                                         int limit);
  Result<WorkflowView> Get(const jobs::Caller& caller, int64_t id);
  Status Stop(const jobs::Caller& caller, int64_t id);
  Status Terminate(const jobs::Caller& caller, int64_t id);
  Status Suspend(const jobs::Caller& caller, int64_t id);
  Status Resume(const jobs::Caller& caller, int64_t id);
  Status Retry(const jobs::Caller& caller, int64_t id);
  Result<CreatedWorkflow> Resubmit(const jobs::Caller& caller, int64_t id);
  Status Delete(const jobs::Caller& caller, int64_t id);
  // The Pod nodes whose logs to show (all when `node` is empty): display name and job.
  Result<std::vector<std::pair<std::string, JobId>>> LogJobs(const jobs::Caller& caller, int64_t id,
                                                             const std::string& node);

  Result<std::vector<StoredTemplate>> PutTemplates(const jobs::Caller& caller,
                                                   const std::vector<nlohmann::json>& docs,
                                                   std::vector<std::string>& warnings);
  Result<std::vector<StoredTemplate>> ListTemplates(const jobs::Caller& caller);
  Status DeleteTemplate(const jobs::Caller& caller, const std::string& kind,
                        const std::string& name);

  // JobObserver: notes the event and asks for a Tick.
  void OnJobEvent(const jobs::JobEvent& event) override;
  // Applies noted job events and due timers, then advances the runs they touched.
  void Tick();
  void set_wake(std::function<void()> wake) { wake_ = std::move(wake); }
  // Milliseconds since the epoch of the earliest timer (back-off, deadline); 0 when none. Read
  // from any thread.
  int64_t next_timer_ms() const { return next_timer_ms_.load(); }

  // EngineServices.
  std::optional<std::string> MemoGet(const std::string& cache, const std::string& key,
                                     std::optional<int64_t> max_age_s) override;
  void MemoPut(const std::string& cache, const std::string& key,
               const std::string& outputs) override;
  bool Acquire(const std::string& lock, const std::string& holder, int limit) override;
  void Release(const std::string& lock, const std::string& holder) override;

  size_t active_workflows() const { return active_.size(); }

 private:
  struct Active;
  std::optional<std::pair<uint32_t, uint32_t>> StepOwner(const Active& a);

  Result<std::unique_ptr<Active>> Load(const WorkflowRow& row);
  Result<WorkflowRow> Visible(const jobs::Caller& caller, int64_t id);
  Result<Active*> ActiveVisible(const jobs::Caller& caller, int64_t id);
  // Operates the run, applies its actions, persists what changed.
  Status Advance(Active& a);
  Status Persist(Active& a);
  WorkflowView ViewOf(const WorkflowRow& row, const workflow::WorkflowEngine& engine) const;
  std::string StepDir(int64_t workflow, const std::string& node_id) const;
  Result<nlohmann::json> CollectRefs(const nlohmann::json& spec);
  void UpdateTimer();

  store::Store& store_;
  jobs::JobController& jobs_;
  const Clock& clock_;
  ImageMap images_;
  WorkflowControllerOptions options_;
  std::map<int64_t, std::unique_ptr<Active>> active_;
  std::vector<jobs::JobEvent> job_events_;
  std::function<void()> wake_;
  bool wake_pending_ = false;
  std::map<std::string, std::set<std::string>> locks_;
  std::atomic<int64_t> next_timer_ms_{0};
  uint64_t name_counter_ = 0;
};

// Builds the engine's spec from a Workflow document: a workflowTemplateRef's spec merged under
// the Workflow's own, metadata kept for workflow.labels/annotations.
nlohmann::json EngineSpec(const nlohmann::json& doc, const nlohmann::json& refs);

}  // namespace corral::workflow_runner
