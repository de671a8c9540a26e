#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "experiments/experiment_spec.h"
#include "experiments/metric_parser.h"
#include "experiments/output_follower.h"
#include "jobs/job_controller.h"
#include "model/experiment.h"
#include "store/store.h"
#include "tune/study.h"

namespace corral::experiments {

// Trial states, as stored and shown.
inline constexpr const char* kTrialPending = "pending";  // job submitted, not started yet
inline constexpr const char* kTrialRunning = "running";
inline constexpr const char* kTrialSucceeded = "succeeded";
inline constexpr const char* kTrialFailed = "failed";
inline constexpr const char* kTrialPruned = "pruned";
inline constexpr const char* kTrialCancelled = "cancelled";  // by stop or by the end of the run

// Experiment states. Every state but "running" has ended_at set.
inline constexpr const char* kExperimentRunning = "running";
inline constexpr const char* kExperimentSucceeded = "succeeded";
inline constexpr const char* kExperimentFailed = "failed";
inline constexpr const char* kExperimentStopped = "stopped";

struct TrialCounts {
  int pending = 0, running = 0, succeeded = 0, failed = 0, pruned = 0, cancelled = 0;
};

// Time the search itself took on the control thread (kept with the experiment's state, so it
// spans restarts): what a user would feel as the platform's own cost per trial.
struct SearchCost {
  int64_t suggestions = 0;
  double ask_ms_total = 0, ask_ms_max = 0, ask_ms_last = 0;  // per suggestion
  int64_t saves = 0;
  double save_ms_total = 0, save_ms_max = 0, save_ms_last = 0;  // writing the study's state
};

// What a reader sees of one experiment.
struct ExperimentView {
  Experiment experiment;
  ExperimentSpec spec;
  std::string format;
  std::vector<std::string> warnings;
  std::string message;  // why it ended, or why it is stuck
  TrialCounts counts;
  std::optional<Trial> best;
  SearchCost cost;
};

struct ExperimentControllerOptions {
  // Passed to trials as CORRAL_URL, so that they can push metrics (python/corral/report.py).
  std::string server_url;
  // Makes the token a trial gets as CORRAL_TOKEN (owner, experiment, trial number): one that may
  // only report that trial's metrics. Unset: trials get none.
  std::function<std::string(UserId, int64_t, int64_t)> trial_token;
};

// Runs experiments: keeps parallelTrialCount trials in flight as jobs, reads their metrics, tells
// the study, prunes, and ends the experiment. Everything it decides is written to the store's open
// transaction together with the job submits it goes with, so a crash loses or repeats nothing.
// Single-threaded: the control thread calls everything.
//
// Trial jobs carry a JobParent naming the experiment and the trial. The controller learns of
// their starts, requeues and ends as a JobObserver (no polling of job states), and gives each
// trial its token as a LaunchEnvProvider, so that the token is never stored in the job's spec.
class ExperimentController final : public jobs::JobObserver, public jobs::LaunchEnvProvider {
 public:
  ExperimentController(store::Store& store, jobs::JobController& jobs, const Clock& clock,
                       ExperimentControllerOptions options = {});
  ~ExperimentController() override;

  // Takes back the experiments a previous server left running; call after JobController::Recover.
  Status Recover();
  void set_server_url(std::string url) { options_.server_url = std::move(url); }
  void set_trial_token(std::function<std::string(UserId, int64_t, int64_t)> make) {
    options_.trial_token = std::move(make);
  }

  Result<ExperimentView> Create(const jobs::Caller& caller, ParsedSpec parsed);
  Result<ExperimentView> Get(const jobs::Caller& caller, ExperimentId id);
  Result<std::vector<ExperimentView>> List(const jobs::Caller& caller);
  Result<std::vector<Trial>> Trials(const jobs::Caller& caller, ExperimentId id);
  Result<std::vector<MetricPoint>> TrialMetrics(const jobs::Caller& caller, ExperimentId id,
                                                int number, const std::optional<std::string>& name);
  Result<ExperimentView> Stop(const jobs::Caller& caller, ExperimentId id);
  Result<ExperimentView> Resume(const jobs::Caller& caller, ExperimentId id);
  // A metric pushed by a trial (or anyone allowed to see the experiment).
  Status PushMetric(const jobs::Caller& caller, ExperimentId id, int number,
                    const std::string& name, double value, std::optional<int64_t> step);

  // A trial job's event (JobObserver). Only notes it and asks for a Tick, which acts on it: the
  // job controller calls this in the middle of its own work, which may be ours.
  void OnJobEvent(const jobs::JobEvent& event) override;
  // CORRAL_TOKEN for a trial's processes (LaunchEnvProvider); a token the template sets wins.
  void AddLaunchEnv(const Job& job, std::map<std::string, std::string>& env) override;
  // Handles noted job events (started, requeued, finished), reads new trial output, starts
  // trials into free slots.
  void Tick();
  // Called when there is work for Tick (e.g. a job event); the server posts a Tick.
  void set_wake(std::function<void()> wake) { wake_ = std::move(wake); }
  // Trial output is read by `follower` (not owned) off the control thread, which hands it back
  // through OnTrialOutput. Without one, Tick reads it on the calling thread.
  void set_output_follower(OutputFollower* follower) { follower_ = follower; }
  // New output of a trial, from the follower (re-posted onto the control thread).
  void OnTrialOutput(TrialOutput output);
  // Told every value a trial reports and the experiment keeps (experiment, trial number, metric
  // name, value), on the control thread; for live monitoring (/metrics).
  void set_metric_listener(std::function<void(ExperimentId, int, const std::string&, double)> fn) {
    metric_listener_ = std::move(fn);
  }

 private:
  struct Active;
  struct TrialRun;

  Result<std::unique_ptr<Active>> Load(const Experiment& row);
  Status Persist(Active& a);
  Status PersistTrial(Active& a, const Trial& t);
  Status SaveSearchRecord(Active& a, int64_t number);
  Result<ExperimentView> View(const Experiment& row);
  Result<Experiment> Visible(const jobs::Caller& caller, ExperimentId id);
  Result<jobs::Caller> OwnerOf(UserId owner);

  Status Step(Active& a);
  Status ApplyJobEvent(Active& a, const jobs::JobEvent& event);
  Status StartFollowing(Active& a, const Trial& t);
  Status RecordLines(Active& a, Trial& t, const std::vector<std::string>& lines, bool from_file);
  // After a restart: what happened to trial jobs while no events were heard.
  Status SyncTrialStates(Active& a);
  Status FillSlots(Active& a);
  Status ReadOutput(Active& a, Trial& t, bool final);
  Status ReadMetricsFile(Active& a, Trial& t, bool final);
  Status Record(Active& a, Trial& t, const std::vector<ParsedMetric>& metrics,
                std::optional<int64_t> explicit_step, bool pushed);
  // `read_rest`: read the output's last lines first (they were not handed in already).
  Status FinishTrial(Active& a, Trial& t, JobState state, bool read_rest);
  Result<std::optional<double>> Objective(const Active& a, const Trial& t);
  Status CheckEnd(Active& a);
  Status End(Active& a, const std::string& state, const std::string& message);
  void CancelInFlight(Active& a);

  store::Store& store_;
  jobs::JobController& jobs_;
  const Clock& clock_;
  ExperimentControllerOptions options_;
  std::map<ExperimentId, std::unique_ptr<Active>> active_;
  std::unordered_map<JobId, ExperimentId> by_job_;
  // Job events of trials in flight, in order, until the next Tick handles them.
  std::vector<jobs::JobEvent> job_events_;
  std::function<void()> wake_;
  OutputFollower* follower_ = nullptr;
  std::function<void(ExperimentId, int, const std::string&, double)> metric_listener_;
  uint64_t next_generation_ = 1;
  bool wake_pending_ = false;
};

}  // namespace corral::experiments
