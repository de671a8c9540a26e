#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "jobs/job_controller.h"
#include "model/notebook.h"
#include "notebook/jupyter_prober.h"
#include "notebook/notebook_directory.h"
#include "store/store.h"

namespace corral::notebook {

struct NotebookRequest {
  std::string name;  // "" picks "nb-<id>"
  int gpus = 0;
  std::string environment;
  std::optional<Duration> idle_timeout;
};

// What a reader sees of one notebook: the stored record and what its job and Jupyter add.
struct NotebookView {
  Notebook notebook;
  std::string node;
  std::optional<TimePoint> last_activity;  // Jupyter's, as of the last idle check
  std::string job_state;
  std::string ssh_user;  // the account the notebook runs as, which SSH logs in as
};

struct NotebookControllerOptions {
  Duration idle_timeout = std::chrono::hours(1);
  // The most time between two idle checks of a notebook (a quarter of its timeout when less).
  Duration idle_check_interval = std::chrono::minutes(1);
  std::string app = "notebook";  // see LaunchScript
  // The Jupyter server's token for a notebook: derived, so that nothing secret is stored.
  std::function<std::string(NotebookId)> token;
  // The local account a user's notebooks run as (SSH's login name); "" when unknown.
  std::function<std::string(UserId)> account_of;
};

// Settings key of the named environments: {"name": "/prefix", ...}.
inline constexpr const char* kEnvironmentsSetting = "environments";
// A job labelled environment=<name> runs with that environment's bin/ first on PATH.
inline constexpr const char* kEnvironmentLabel = "environment";

// Runs notebooks: each is one interactive-priority job (JobParent kind notebook) running the
// launch script as its user's account. Learns of its jobs' starts and ends as a JobObserver, hands
// each attempt its ports and secrets as a LaunchEnvProvider (never stored in the spec), learns of
// readiness and idleness from a JupyterProber, and culls idle notebooks by cancelling their jobs.
// Single-threaded: the control thread calls everything; the directory is what other threads read.
class NotebookController final : public jobs::JobObserver, public jobs::LaunchEnvProvider {
 public:
  NotebookController(store::Store& store, jobs::JobController& jobs, const Clock& clock,
                     NotebookControllerOptions options);

  // Takes back the notebooks a previous server left; call after JobController::Recover.
  Status Recover();
  // Called with every probe target; the server passes them to a JupyterProber.
  void set_prober(std::function<void(ProbeTarget)> watch, std::function<void(NotebookId)> forget) {
    watch_ = std::move(watch);
    forget_ = std::move(forget);
  }
  void set_wake(std::function<void()> wake) { wake_ = std::move(wake); }
  const NotebookDirectory& directory() const { return directory_; }

  Result<NotebookView> Create(const jobs::Caller& caller, NotebookRequest request);
  Result<NotebookView> Get(const jobs::Caller& caller, NotebookId id);
  // The caller's notebooks (everyone's for an admin with `all`), newest first.
  Result<std::vector<NotebookView>> List(const jobs::Caller& caller, bool all, bool active_only);
  Result<NotebookView> Stop(const jobs::Caller& caller, NotebookId id);

  // Named environments: name -> prefix (a venv or conda prefix; its bin/ goes first on PATH).
  Status SetEnvironments(std::map<std::string, std::string> environments);
  const std::map<std::string, std::string>& environments() const { return environments_; }

  // Users' public SSH keys; a notebook's sshd gets its owner's keys when it starts.
  Result<std::vector<SshKey>> SshKeys(UserId user) { return store_.ListSshKeys(user); }
  Result<SshKey> AddSshKey(UserId user, const std::string& key);
  Status DeleteSshKey(UserId user, int64_t id) { return store_.DeleteSshKey(user, id); }

  void OnJobEvent(const jobs::JobEvent& event) override;
  void AddLaunchEnv(const Job& job, std::map<std::string, std::string>& env) override;
  // A prober's finding (re-posted onto the control thread).
  void OnProbe(const ProbeResult& result);
  // Handles the job events noted since the last Tick.
  void Tick();

 private:
  struct Active {
    Notebook notebook;
    std::optional<TimePoint> last_activity;
  };

  Result<Notebook> Visible(const jobs::Caller& caller, NotebookId id);
  NotebookView View(const Notebook& n, const std::optional<TimePoint>& last_activity);
  Status Persist(Active& a);
  void Publish(const Active& a);
  void ApplyJobEvent(const jobs::JobEvent& event);
  Status End(Active& a, const std::string& state, const std::string& message);
  Duration IdleTimeoutOf(const Notebook& n) const;
  jobs::Caller OwnerOf(const Notebook& n) const;

  store::Store& store_;
  jobs::JobController& jobs_;
  const Clock& clock_;
  NotebookControllerOptions options_;
  NotebookDirectory directory_;
  std::map<std::string, std::string> environments_;
  std::map<NotebookId, Active> active_;
  std::unordered_map<JobId, NotebookId> by_job_;
  std::vector<jobs::JobEvent> job_events_;
  std::function<void()> wake_;
  bool wake_pending_ = false;
  std::function<void(ProbeTarget)> watch_;
  std::function<void(NotebookId)> forget_;
};

}  // namespace corral::notebook
