#include "server/server_main.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "api/api_service.h"
#include "api/durable_event_publisher.h"
#include "api/event_hub.h"
#include "api/experiments_routes.h"
#include "api/json_reader.h"
#include "api/notebook_proxy.h"
#include "api/notebooks_routes.h"
#include "api/queue_json.h"
#include "api/tokens.h"
#include "api/workflow_routes.h"
#include "common/log.h"
#include "exec/local/local_executor.h"
#include "exec/local_account.h"
#include "experiments/experiment_controller.h"
#include "gpu/inventory.h"
#include "gpu/nvml_library.h"
#include "gpu/sample_cache.h"
#include "jobs/job_controller.h"
#include "metrics/http_stats.h"
#include "metrics/server_metrics.h"
#include "notebook/jupyter_prober.h"
#include "notebook/notebook_controller.h"
#include "sched/scheduler.h"
#include "server/control_loop.h"
#include "server/http_server.h"
#include "server/metrics_endpoint.h"
#include "server/slurm_backend.h"
#include "server/static_files.h"
#include "store/store.h"
#include "workflow_runner/workflow_controller.h"

namespace corral::server {
namespace {

namespace fs = std::filesystem;

std::string DefaultDataDir() {
  if (const char* env = std::getenv("CORRAL_DATA_DIR"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
    return std::string(xdg) + "/corral";
  const char* home = std::getenv("HOME");
  if (!home || !*home) {
    struct passwd* pw = getpwuid(getuid());
    home = pw ? pw->pw_dir : "/tmp";
  }
  return std::string(home) + "/.local/share/corral";
}

// One server per data directory: a second one would run every job twice.
Result<int> LockDataDir(const std::string& dir) {
  std::string path = dir + "/server.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot open " + path + ": " + strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status(StatusCode::kFailedPrecondition,
                  "another corral server is using the data directory " + dir);
  }
  return fd;
}

Status WriteSecretFile(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot write " + path + ": " + strerror(errno));
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
    return Internal("cannot write " + path + ": " + strerror(errno));
  return Status::Ok();
}

// The key that trial tokens are made with (api/tokens.h): made on the first start, kept in the
// data directory so that trials' tokens survive restarts. Deleting the file invalidates them all.
Result<std::string> LoadOrCreateTrialKey(const std::string& path) {
  std::ifstream in(path);
  std::string key;
  if (in && std::getline(in, key) && key.size() == 64) return key;
  key = api::NewTrialKey();
  CORRAL_RETURN_IF_ERROR(WriteSecretFile(path, key + "\n"));
  return key;
}

// Nothing the server writes is for other local users: jobs run as their own accounts, and the
// database holds every user's token hashes. The data directory may be traversed (not listed) by
// others only when jobs run as other accounts and must reach their working directories in it.
Status TightenDataDir(const std::string& dir, bool jobs_run_as_others) {
  if (::chmod(dir.c_str(), jobs_run_as_others ? 0711 : 0700) != 0)
    return Internal("cannot set the mode of " + dir + ": " + strerror(errno));
  // Files left by older versions, or created before the umask was set.
  for (const char* name :
       {"corral.db", "corral.db-wal", "corral.db-shm", "trial-key", "server.lock", "server.json"}) {
    std::string path = dir + "/" + name;
    if (::chmod(path.c_str(), 0600) != 0 && errno != ENOENT)
      return Internal("cannot set the mode of " + path + ": " + strerror(errno));
  }
  // Logs and records of jobs run by older versions were world-readable (0644) at predictable
  // paths; the directories above them are traversable, so the files themselves are closed.
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir + "/jobs", ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it.depth() >= 3) it.disable_recursion_pending();  // <job>/<attempt>/<replica>/...
    if (it.depth() != 3 || !it->is_regular_file(ec)) continue;
    if ((it->status(ec).permissions() & (fs::perms::group_all | fs::perms::others_all)) !=
        fs::perms::none)
      ::chmod(it->path().c_str(), 0600);
  }
  return Status::Ok();
}

// The first start creates the admin account; its token is shown once and only its hash is kept.
Result<std::optional<std::string>> BootstrapAdmin(store::Store& store) {
  CORRAL_ASSIGN_OR_RETURN(auto users, store.ListUsers());
  if (!users.empty()) return std::optional<std::string>();
  auto now = SystemClock().Now();
  CORRAL_ASSIGN_OR_RETURN(User admin, store.CreateUser("admin", Role::kAdmin, now));
  std::string token = api::NewToken();
  CORRAL_RETURN_IF_ERROR(store.AddToken(admin.id, api::HashToken(token), "initial", now).status());
  CORRAL_RETURN_IF_ERROR(store.Flush());
  return std::optional<std::string>(token);
}

// Queue configuration: a file given at start replaces (and is stored as) the configuration;
// otherwise the stored one, last set through the API, applies.
Status LoadQueues(store::Store& store, jobs::JobController& controller, const std::string& file) {
  std::string text;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return InvalidArgument("--queues-file", "cannot read " + file);
    std::string body((std::istreambuf_iterator<char>(in)), {});
    CORRAL_ASSIGN_OR_RETURN(auto parsed, api::ParseBody(body, "application/yaml"));
    CORRAL_ASSIGN_OR_RETURN(auto queues, api::ParseQueues(parsed));
    CORRAL_RETURN_IF_ERROR(controller.SetQueues(queues));
    return store.PutSetting(api::kQueuesSetting, api::QueueConfigsToJson(queues).dump());
  }
  CORRAL_ASSIGN_OR_RETURN(auto stored, store.GetSetting(api::kQueuesSetting));
  if (!stored) return Status::Ok();
  CORRAL_ASSIGN_OR_RETURN(auto parsed, api::ParseBody(*stored, "application/json"));
  CORRAL_ASSIGN_OR_RETURN(auto queues, api::ParseQueues(parsed));
  return controller.SetQueues(queues);
}

// Named environments for notebooks and jobs: a file given at start replaces the stored ones.
Status LoadEnvironments(notebook::NotebookController& notebooks, const std::string& file) {
  if (file.empty()) return Status::Ok();
  std::ifstream in(file);
  if (!in) return InvalidArgument("--environments-file", "cannot read " + file);
  std::string body((std::istreambuf_iterator<char>(in)), {});
  CORRAL_ASSIGN_OR_RETURN(auto parsed, api::ParseBody(body, "application/yaml"));
  CORRAL_ASSIGN_OR_RETURN(auto environments, api::ParseEnvironments(parsed));
  return notebooks.SetEnvironments(std::move(environments));
}

}  // namespace

int RunServer(int argc, char** argv) {
  CLI::App app{"Corral server: the GPU job queue, scheduler and executor", "corral server"};
  std::string data_dir = DefaultDataDir();
  std::string host = "127.0.0.1";
  int port = 8080;
  int simulate_gpus = 0;
  int simulate_nodes = 1;
  std::string nodes_file;
  std::string admin_token_file;
  std::string log_level = "info";
  double kill_grace_s = 10;
  std::string queues_file;
  std::string default_job_user = "nobody";
  int64_t max_log_bytes = int64_t{1} << 30;
  double starvation_age_s = -1, large_starvation_age_s = -1, preemption_grace_s = -1,
         opportunistic_grace_s = -1;
  app.add_option("--data-dir", data_dir, "State directory (env CORRAL_DATA_DIR)")
      ->capture_default_str();
  app.add_option("--host", host, "Address to listen on")->capture_default_str();
  app.add_option("--port", port, "Port to listen on (0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--simulate-gpus", simulate_gpus,
                 "Expose N simulated GPUs per simulated node instead of this host's real ones")
      ->check(CLI::Range(0, 1024));
  app.add_option("--simulate-nodes", simulate_nodes, "Number of simulated nodes")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--nodes-file", nodes_file,
                 "YAML/JSON file listing simulated nodes: nodes: [{name, gpus, cpus, memory_mb}]");
  app.add_option("--admin-token-file", admin_token_file,
                 "On first start, also write the admin token to this file (mode 0600)");
  app.add_option("--log-level", log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_option("--kill-grace", kill_grace_s, "Seconds between SIGTERM and SIGKILL on cancel")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--queues-file", queues_file,
                 "YAML/JSON queue configuration: queues: [{name, guaranteed_gpus, max_gpus, "
                 "weight}] (replaces the stored one; change it live with PUT /api/v1/queues)");
  app.add_option("--default-job-user", default_job_user,
                 "Local account for jobs of users with no mapping and no account of their own "
                 "name (only when the server runs as root)")
      ->capture_default_str();
  app.add_option("--max-log-bytes", max_log_bytes,
                 "Most output kept per replica; the head is kept, the rest dropped")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 50))
      ->capture_default_str();
  app.add_option(
         "--starvation-age", starvation_age_s,
         "Seconds after which a waiting job is ordered by age and reserved for (replaces the "
         "default rule: a job is due when FIFO would have started it)")
      ->check(CLI::Range(0.0, 1e7));
  app.add_option("--large-job-starvation-age", large_starvation_age_s,
                 "The same for jobs of 8 GPUs or more")
      ->check(CLI::Range(0.0, 1e7));
  app.add_option("--preemption-grace", preemption_grace_s,
                 "Seconds between SIGTERM and SIGKILL for preempted guaranteed-capacity work")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--opportunistic-grace", opportunistic_grace_s,
                 "Seconds between SIGTERM and SIGKILL for preempted opportunistic work")
      ->check(CLI::Range(0.0, 3600.0));
  HttpServerOptions hopts;
  app.add_option("--http-threads", hopts.io_threads, "Threads for HTTP I/O")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--header-timeout-s", hopts.header_timeout_s,
                 "Seconds a client has to send a whole request head")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_option("--idle-timeout-s", hopts.idle_timeout_s,
                 "Seconds an idle keep-alive connection is kept")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  app.add_option("--max-connections", hopts.max_connections, "Open HTTP connections at most")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--max-connections-per-client", hopts.max_connections_per_client,
                 "Open HTTP connections from one client address at most")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  std::string metrics_token_file;
  bool metrics_loopback = false;
  app.add_option("--metrics-token-file", metrics_token_file,
                 "File whose first line is a token (16+ characters) that may scrape /metrics "
                 "(Prometheus: authorization.credentials_file); admins' tokens always may");
  app.add_flag("--metrics-allow-loopback", metrics_loopback,
               "Let scrapes from 127.0.0.1/::1 read /metrics without credentials");
  double notebook_idle_timeout_s = 3600, notebook_idle_check_s = 60;
  std::string notebook_app = "notebook", environments_file;
  app.add_option("--notebook-idle-timeout", notebook_idle_timeout_s,
                 "Seconds a notebook may sit idle (no activity, no busy kernel, no connection) "
                 "before it is stopped; a notebook may ask for its own")
      ->check(CLI::Range(1.0, 1e8))
      ->capture_default_str();
  app.add_option("--notebook-idle-check-interval", notebook_idle_check_s,
                 "Most seconds between two idle checks of a notebook")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  app.add_option("--notebook-app", notebook_app,
                 "Jupyter application notebooks run: notebook (classic UI and API) or server "
                 "(jupyter-server, API only)")
      ->check(CLI::IsMember({"notebook", "server"}))
      ->capture_default_str();
  app.add_option("--environments-file", environments_file,
                 "YAML/JSON named environments: environments: {name: /prefix} (replaces the "
                 "stored ones; PUT /api/v1/environments changes them live)");
  std::string executor_kind = "local";
  exec::slurm::SlurmExecutorOptions slurm_opts;
  double slurm_poll_s = 0.5;
  app.add_option("--executor", executor_kind,
                 "Where jobs run: local (this host) or slurm (a Slurm cluster; see docs/slurm.md)")
      ->check(CLI::IsMember({"local", "slurm"}))
      ->capture_default_str();
  app.add_option("--slurm-partition", slurm_opts.partition,
                 "Slurm partition whose nodes Corral schedules (default: every node)");
  app.add_option("--slurm-spool-dir", slurm_opts.spool_dir,
                 "Directory on a file system shared with every Slurm node, for job logs and exit "
                 "records (default: <data-dir>/slurm)");
  app.add_option("--slurm-bin-dir", slurm_opts.bin_dir,
                 "Directory of sbatch, squeue, scontrol, sacct and scancel (default: PATH)");
  app.add_option("--slurm-job-prefix", slurm_opts.name_prefix,
                 "Prefix of the Slurm job names of this server's jobs")
      ->capture_default_str();
  app.add_option("--slurm-poll-interval", slurm_poll_s, "Seconds between squeue polls")
      ->check(CLI::Range(0.05, 60.0))
      ->capture_default_str();
  std::string ui_dir = DefaultUiDir();
  std::string artifact_dir;
  std::string images_file;
  app.add_option("--artifact-dir", artifact_dir,
                 "Workflow artifact store (default <data-dir>/artifacts; s3/gcs/oss keys map "
                 "below it)");
  app.add_option("--images-file", images_file,
                 "YAML map of image -> {command: [...]}: what a workflow step's image runs");
  app.add_option("--ui-dir", ui_dir,
                 "Directory of the web UI's files, served at / (default: share/corral/ui beside "
                 "the binary, if present; empty: no UI)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  log::SetLevel(log_level == "debug"   ? log::Level::kDebug
                : log_level == "warn"  ? log::Level::kWarn
                : log_level == "error" ? log::Level::kError
                                       : log::Level::kInfo);

  std::unique_ptr<StaticFiles> ui;
  if (!ui_dir.empty()) {
    auto opened = StaticFiles::Open(ui_dir);
    if (!opened.ok()) {
      fprintf(stderr, "corral server: %s\n", opened.status().ToString().c_str());
      return 2;
    }
    ui = std::move(*opened);
    log::Info("web UI from {}", ui->root());
  }

  server::MetricsAccess metrics_access;
  metrics_access.loopback_unauthenticated = metrics_loopback;
  if (!metrics_token_file.empty()) {
    auto hash = ReadScrapeTokenHash(metrics_token_file);
    if (!hash.ok()) {
      fprintf(stderr, "corral server: %s\n", hash.status().ToString().c_str());
      return 2;
    }
    metrics_access.scrape_token_hash = *hash;
  }

  // Block the stop signals everywhere; one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Every file and directory the server creates is its own unless given away on purpose.
  ::umask(077);
  const bool switch_accounts = ::geteuid() == 0;
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) {
    fprintf(stderr, "corral server: cannot create data directory %s: %s\n", data_dir.c_str(),
            ec.message().c_str());
    return 1;
  }
  auto lock = LockDataDir(data_dir);
  if (!lock.ok()) {
    fprintf(stderr, "corral server: %s\n", lock.status().message().c_str());
    return 1;
  }
  if (Status s = TightenDataDir(data_dir, switch_accounts); !s.ok()) {
    fprintf(stderr, "corral server: %s\n", s.message().c_str());
    return 1;
  }

  // Nodes: Slurm's when it runs the jobs, simulated ones when asked, else this host's real GPUs.
  std::vector<gpu::NodeInventory> nodes;
  std::string local_gpu_node;  // this host's node when it has real GPUs
  std::unique_ptr<exec::Executor> executor;
  std::string containment;
  if (executor_kind == "slurm") {
    if (slurm_opts.spool_dir.empty()) slurm_opts.spool_dir = data_dir + "/slurm";
    slurm_opts.poll_interval = Duration(static_cast<int64_t>(slurm_poll_s * 1000));
    slurm_opts.pass_account = switch_accounts;
    auto backend = StartSlurmBackend(slurm_opts);
    if (!backend.ok()) {
      fprintf(stderr, "corral server: --executor slurm: %s\n", backend.status().ToString().c_str());
      return 1;
    }
    nodes = std::move(backend->nodes);
    executor = std::move(backend->executor);
    containment = "Slurm job per attempt (spool " + slurm_opts.spool_dir + ")";
  } else if (!nodes_file.empty()) {
    auto from_file = gpu::SimulatedNodesFromFile(nodes_file);
    if (!from_file.ok()) {
      fprintf(stderr, "corral server: --nodes-file: %s\n", from_file.status().ToString().c_str());
      return 2;
    }
    nodes = std::move(*from_file);
  } else if (simulate_gpus > 0) {
    nodes = gpu::SimulatedNodes(simulate_nodes, simulate_gpus);
  } else {
    auto local = gpu::DiscoverLocalNode();
    if (!local.ok()) {
      fprintf(stderr, "corral server: GPU discovery: %s\n", local.status().ToString().c_str());
      return 1;
    }
    local_gpu_node = local->gpus.empty() ? "" : local->name;
    nodes.push_back(std::move(*local));
  }
  int total_gpus = 0;
  for (auto& n : nodes) total_gpus += static_cast<int>(n.gpus.size());
  for (auto& n : nodes) {
    log::Info("node {}: {} GPUs{}", n.name, n.gpus.size(), n.simulated ? " (SIMULATED)" : "");
  }
  if (total_gpus == 0) log::Warn("no GPUs: only jobs asking for 0 GPUs can run");

  auto store = store::OpenSqliteStore(data_dir + "/corral.db");
  if (!store.ok()) {
    fprintf(stderr, "corral server: opening the store: %s\n", store.status().ToString().c_str());
    return 1;
  }
  auto admin_token = BootstrapAdmin(**store);
  if (!admin_token.ok()) {
    fprintf(stderr, "corral server: creating the admin: %s\n",
            admin_token.status().ToString().c_str());
    return 1;
  }
  if (*admin_token) {
    printf("Created user 'admin'. Its API token is shown only this once:\n  %s\n",
           admin_token->value().c_str());
    if (!admin_token_file.empty()) {
      Status s = WriteSecretFile(admin_token_file, **admin_token + "\n");
      if (!s.ok()) fprintf(stderr, "corral server: %s\n", s.ToString().c_str());
    }
    fflush(stdout);
  }

  auto trial_key = LoadOrCreateTrialKey(data_dir + "/trial-key");
  if (!trial_key.ok()) {
    fprintf(stderr, "corral server: %s\n", trial_key.status().ToString().c_str());
    return 1;
  }

  SystemClock clock;
  if (!executor) {
    exec::LocalExecutorOptions eopts;
    eopts.root_dir = data_dir;
    eopts.max_log_bytes = max_log_bytes;
    auto local = std::make_unique<exec::LocalExecutor>(eopts);
    containment = local->containment_summary();
    executor = std::move(local);
  }
  log::Info("job containment: {}", containment);
  jobs::ControllerOptions copts;
  copts.default_kill_grace = Duration(static_cast<int64_t>(kill_grace_s * 1000));
  exec::JobAccountPolicy account_policy{switch_accounts, default_job_user};
  if (switch_accounts) {
    log::Info("jobs run as their users' local accounts (default account '{}')", default_job_user);
  } else {
    log::Warn("not running as root: every job runs as this server's own account (uid {})",
              ::geteuid());
  }
  copts.job_accounts =
      switch_accounts ? "per-user" : "server (uid " + std::to_string(::geteuid()) + ")";
  copts.containment = containment;
  copts.account_for = [account_policy](const User& user) {
    return exec::ResolveJobAccount(user.name, user.unix_user, account_policy);
  };
  sched::SchedulerOptions sopts;
  auto seconds = [](double s) { return Duration(static_cast<int64_t>(s * 1000)); };
  if (starvation_age_s >= 0) sopts.starvation_age = seconds(starvation_age_s);
  if (large_starvation_age_s >= 0) sopts.large_job_starvation_age = seconds(large_starvation_age_s);
  // Fixed ages replace the FIFO-deadline rule only when asked for.
  if (starvation_age_s >= 0 || large_starvation_age_s >= 0) sopts.fifo_deadline_factor = 0;
  if (preemption_grace_s >= 0) sopts.preemption_grace = seconds(preemption_grace_s);
  if (opportunistic_grace_s >= 0) sopts.opportunistic_grace = seconds(opportunistic_grace_s);
  jobs::JobController controller(**store, *executor, sched::MakeDefaultScheduler(sopts), nodes,
                                 clock, copts);
  if (Status s = LoadQueues(**store, controller, queues_file); !s.ok()) {
    fprintf(stderr, "corral server: queues: %s\n", s.ToString().c_str());
    return 2;
  }
  metrics::ServerMetrics instruments;
  controller.AddObserver(&instruments.job_events);
  ControlLoop control(**store);
  control.SetController(&controller);
  control.SetStats(&instruments.control);
  control.SetOnCommitFailure([](const Status& s) {
    // What the controllers hold in memory now differs from the store (the batch was rolled back
    // and its requests were refused). Stop at once, as a kill -9 would: running jobs keep
    // running, and a restart rebuilds everything from what is durable.
    fprintf(stderr,
            "corral server: the store could not commit (%s); stopping so that a restart recovers "
            "from what is durable\n",
            s.ToString().c_str());
    fflush(stderr);
    std::_Exit(75);
  });
  api::EventHub hub;
  api::DurableEventPublisher publisher(control, hub);
  controller.AddObserver(&publisher);
  experiments::ExperimentController experiments(**store, controller, clock);
  auto post_experiment_tick = [&control, &experiments] {
    api::PostNamed(control, "experiments.tick", [&experiments] { experiments.Tick(); });
  };
  experiments.set_wake(post_experiment_tick);
  experiments.set_trial_token([key = *trial_key](UserId owner, int64_t experiment, int64_t trial) {
    return api::TrialToken(key, {owner, experiment, trial});
  });
  experiments.set_metric_listener(
      [&instruments](ExperimentId id, int trial, const std::string& name, double value) {
        instruments.trials.Set(id.value, trial, name, value);
      });
  controller.AddObserver(&experiments);
  controller.AddLaunchEnvProvider(&experiments);
  // Trial output (logs, metrics files) is read on the follower's thread, never on the control
  // thread; what is new comes back as a posted command.
  experiments::OutputFollower output_follower(
      Duration(250), [&control, &experiments](experiments::TrialOutput out) {
        api::PostNamed(control, "experiments.trial_output",
                       [&experiments, out = std::move(out)]() mutable {
                         experiments.OnTrialOutput(std::move(out));
                       });
      });
  experiments.set_output_follower(&output_follower);
  notebook::NotebookControllerOptions nopts;
  nopts.idle_timeout = seconds(notebook_idle_timeout_s);
  nopts.idle_check_interval = seconds(notebook_idle_check_s);
  nopts.app = notebook_app;
  nopts.token = [key = *trial_key](NotebookId id) {
    return api::NotebookServerToken(key, id.value);
  };
  nopts.account_of = [&users = **store, account_policy](UserId id) -> std::string {
    auto user = users.FindUserById(id);
    if (!user.ok() || !*user) return "";
    auto account = exec::ResolveJobAccount((*user)->name, (*user)->unix_user, account_policy);
    return account.ok() ? account->name : "";
  };
  notebook::NotebookController notebooks(**store, controller, clock, nopts);
  notebooks.set_wake([&control, &notebooks] {
    api::PostNamed(control, "notebooks.tick", [&notebooks] { notebooks.Tick(); });
  });
  controller.AddObserver(&notebooks);
  controller.AddLaunchEnvProvider(&notebooks);
  // Notebooks' readiness and idleness are asked of their Jupyter servers on the prober's thread.
  notebook::JupyterProber prober([&control, &notebooks](notebook::ProbeResult r) {
    api::PostNamed(control, "notebooks.probe",
                   [&notebooks, r = std::move(r)] { notebooks.OnProbe(r); });
  });
  notebooks.set_prober([&prober](notebook::ProbeTarget t) { prober.Watch(std::move(t)); },
                       [&prober](NotebookId id) { prober.Forget(id); });
  workflow_runner::ImageMap images(workflow_runner::FindShimsDir());
  if (!images_file.empty()) {
    if (Status s = images.LoadFile(images_file); !s.ok()) {
      fprintf(stderr, "corral server: --images-file: %s\n", s.message().c_str());
      return 2;
    }
  }
  workflow_runner::WorkflowControllerOptions wopts;
  wopts.steps_root = data_dir + "/workflows";
  wopts.artifact_dir = artifact_dir.empty() ? data_dir + "/artifacts" : artifact_dir;
  wopts.bwrap = workflow_runner::ProbeBubblewrap();
  if (!wopts.bwrap.empty()) wopts.root_binds = workflow_runner::RootBindArgs();
  if (switch_accounts) wopts.account_for = copts.account_for;
  fs::create_directories(wopts.steps_root, ec);
  fs::create_directories(wopts.artifact_dir, ec);
  // Steps of every user write their artifacts here; the sticky bit keeps them from removing
  // each other's.
  if (switch_accounts) ::chmod(wopts.artifact_dir.c_str(), 01777);
  ::chmod(wopts.steps_root.c_str(), 0711);
  log::Info("workflow steps: {}", wopts.bwrap.empty()
                                      ? "no bubblewrap: steps share /tmp (TMPDIR is private)"
                                      : "private /tmp per step (bubblewrap)");
  workflow_runner::WorkflowController workflows(**store, controller, clock, images, wopts);
  workflows.set_wake([&control, &workflows] {
    api::PostNamed(control, "workflows.tick", [&workflows] { workflows.Tick(); });
  });
  controller.AddObserver(&workflows);
  executor->SetEventSink([&control, &controller](exec::ExecEvent ev) {
    api::PostNamed(control, "jobs.exec_event",
                   [&controller, ev = std::move(ev)] { controller.OnExecEvent(ev); });
  });
  executor->SetNodeSink([&control, &controller](exec::NodeEvent ev) {
    api::PostNamed(control, "jobs.node_event",
                   [&controller, ev = std::move(ev)] { controller.OnNodeEvent(ev); });
  });
  if (Status s = controller.Recover(); !s.ok()) {
    fprintf(stderr, "corral server: recovering jobs: %s\n", s.ToString().c_str());
    return 1;
  }
  if (Status s = experiments.Recover(); !s.ok()) {
    fprintf(stderr, "corral server: recovering experiments: %s\n", s.ToString().c_str());
    return 1;
  }
  if (Status s = notebooks.Recover(); !s.ok()) {
    fprintf(stderr, "corral server: recovering notebooks: %s\n", s.ToString().c_str());
    return 1;
  }
  if (Status s = LoadEnvironments(notebooks, environments_file); !s.ok()) {
    fprintf(stderr, "corral server: environments: %s\n", s.ToString().c_str());
    return 2;
  }
  if (Status s = workflows.Recover(); !s.ok()) {
    fprintf(stderr, "corral server: recovering workflows: %s\n", s.ToString().c_str());
    return 1;
  }
  if (Status s = (*store)->Flush(); !s.ok()) {
    fprintf(stderr, "corral server: %s\n", s.ToString().c_str());
    return 1;
  }
  control.Start();
  // Workflow timers (retry back-off, suspend durations, deadlines); job events need no timer.
  std::atomic<bool> timers_stop{false};
  std::thread workflow_timers([&] {
    while (!timers_stop.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      int64_t due = workflows.next_timer_ms();
      if (due != 0 && due <= ToMillis(clock.Now()))
        api::PostNamed(control, "workflows.timer", [&workflows] { workflows.Tick(); });
    }
  });

  api::ApiService service(control, controller, **store, hub);
  service.SetTrialKey(*trial_key);
  store::ReadPool readers(data_dir + "/corral.db");
  service.SetReadPool(&readers);
  // GET /nodes reports this host's GPUs from a sample refreshed off the request and control
  // threads, never from a driver call per request.
  std::unique_ptr<gpu::GpuSampleCache> gpu_samples;
  if (!local_gpu_node.empty()) {
    std::shared_ptr<gpu::NvmlLibrary> nvml = gpu::NvmlLibrary::Open();
    gpu_samples = std::make_unique<gpu::GpuSampleCache>(
        [nvml] {
          std::vector<gpu::GpuSample> out;
          for (int i = 0; nvml && i < nvml->DeviceCount(); ++i) out.push_back(nvml->Sample(i));
          return out;
        },
        std::chrono::seconds(2), clock);
    gpu_samples->Start();
    service.SetGpuSamples(gpu_samples.get(), local_gpu_node);
  }
  api::ExperimentsRoutes experiment_routes(control, experiments, service.limits().max_body_bytes);
  service.Mount("experiments", &experiment_routes);
  MetricsEndpoint metrics_endpoint(control, controller, service.authenticator(), instruments,
                                   metrics_access);
  metrics_endpoint.SetReadPool(&readers);
  if (gpu_samples) metrics_endpoint.SetGpuSamples(gpu_samples.get(), local_gpu_node);
  api::NotebooksRoutes notebook_routes(control, notebooks, service.limits().max_body_bytes);
  for (const char* collection : {"notebooks", "ssh-keys", "environments"})
    service.Mount(collection, &notebook_routes);
  api::NotebookProxy notebook_proxy(service.authenticator(), notebooks.directory());
  api::WorkflowRoutes workflow_routes(control, workflows, controller,
                                      service.limits().max_body_bytes);
  service.Mount("workflows", &workflow_routes);
  service.Mount("workflow-templates", &workflow_routes);
  hopts.host = host;
  hopts.port = static_cast<uint16_t>(port);
  hopts.max_body_bytes = service.limits().max_body_bytes;
  auto http = StartHttpServer(hopts, [&](const api::HttpRequest& r) {
    // Every request is counted and timed by its route class, which also names the tasks it posts
    // to the control thread.
    const char* route = metrics::RouteClass(r.path);
    api::TaskNameScope task(route);
    const auto start = std::chrono::steady_clock::now();
    api::HttpResponse response = r.path == "/metrics"                 ? metrics_endpoint.Handle(r)
                                 : api::NotebookProxy::Serves(r.path) ? notebook_proxy.Handle(r)
                                 : ui && StaticFiles::Serves(r.path)  ? ui->Handle(r)
                                                                      : service.Handle(r);
    instruments.http.Record(
        route, r.method, response.status,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return response;
  });
  if (!http.ok()) {
    fprintf(stderr, "corral server: %s\n", http.status().message().c_str());
    timers_stop = true;
    workflow_timers.join();
    control.Stop();
    return 1;
  }
  std::string url = "http://" + host + ":" + std::to_string((*http)->port());
  instruments.http.SetOpenConnections([&server = **http] { return server.open_connections(); });
  api::PostNamed(control, "experiments.config",
                 [&experiments, url] { experiments.set_server_url(url); });
  {
    std::ofstream info(data_dir + "/server.json");
    info << "{\"url\": \"" << url << "\", \"pid\": " << getpid() << "}\n";
  }
  printf("corral server listening on %s (data in %s; %d GPUs%s)\n", url.c_str(), data_dir.c_str(),
         total_gpus, (!nodes.empty() && nodes[0].simulated) ? ", simulated" : "");
  fflush(stdout);

  std::thread signals([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    log::Info("signal {}: shutting down (running jobs keep running and are re-adopted on restart)",
              sig);
    (*http)->Stop();
  });
  (*http)->Run();
  hub.Close();
  timers_stop = true;
  workflow_timers.join();
  control.Stop();
  executor->Shutdown();
  if (signals.joinable()) {
    pthread_kill(signals.native_handle(), SIGTERM);
    signals.join();
  }
  unlink((data_dir + "/server.json").c_str());
  log::Info("stopped");
  return 0;
}

}  // namespace corral::server
