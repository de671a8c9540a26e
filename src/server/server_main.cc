#include "server/server_main.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "api/api_service.h"
#include "api/durable_event_publisher.h"
#include "api/event_hub.h"
#include "api/experiments_routes.h"
#include "api/json_reader.h"
#include "api/queue_json.h"
#include "api/tokens.h"
#include "common/log.h"
#include "exec/local/local_executor.h"
#include "exec/local_account.h"
#include "experiments/experiment_controller.h"
#include "gpu/inventory.h"
#include "jobs/job_controller.h"
#include "sched/scheduler.h"
#include "server/control_loop.h"
#include "server/http_server.h"
#include "server/static_files.h"
#include "store/store.h"

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
  std::string ui_dir = DefaultUiDir();
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

  // Nodes: simulated ones when asked, else this host's real GPUs.
  std::vector<gpu::NodeInventory> nodes;
  if (!nodes_file.empty()) {
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
  exec::LocalExecutorOptions eopts;
  eopts.root_dir = data_dir;
  eopts.max_log_bytes = max_log_bytes;
  auto executor = std::make_unique<exec::LocalExecutor>(eopts);
  log::Info("job containment: {}", executor->containment_summary());
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
  copts.containment = executor->containment_summary();
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
  ControlLoop control(**store);
  control.SetController(&controller);
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
    control.Post([&experiments] { experiments.Tick(); });
  };
  experiments.set_wake(post_experiment_tick);
  experiments.set_trial_token([key = *trial_key](UserId owner, int64_t experiment, int64_t trial) {
    return api::TrialToken(key, {owner, experiment, trial});
  });
  controller.AddObserver(&experiments);
  controller.AddLaunchEnvProvider(&experiments);
  // Trial output (logs, metrics files) is read on the follower's thread, never on the control
  // thread; what is new comes back as a posted command.
  experiments::OutputFollower output_follower(
      Duration(250), [&control, &experiments](experiments::TrialOutput out) {
        control.Post([&experiments, out = std::move(out)]() mutable {
          experiments.OnTrialOutput(std::move(out));
        });
      });
  experiments.set_output_follower(&output_follower);
  executor->SetEventSink([&control, &controller](exec::ExecEvent ev) {
    control.Post([&controller, ev = std::move(ev)] { controller.OnExecEvent(ev); });
  });
  executor->SetNodeSink([&control, &controller](exec::NodeEvent ev) {
    control.Post([&controller, ev = std::move(ev)] { controller.OnNodeEvent(ev); });
  });
  if (Status s = controller.Recover(); !s.ok()) {
    fprintf(stderr, "corral server: recovering jobs: %s\n", s.ToString().c_str());
    return 1;
  }
  if (Status s = experiments.Recover(); !s.ok()) {
    fprintf(stderr, "corral server: recovering experiments: %s\n", s.ToString().c_str());
    return 1;
  }
  if (Status s = (*store)->Flush(); !s.ok()) {
    fprintf(stderr, "corral server: %s\n", s.ToString().c_str());
    return 1;
  }
  control.Start();

  api::ApiService service(control, controller, **store, hub);
  service.SetTrialKey(*trial_key);
  store::ReadPool readers(data_dir + "/corral.db");
  service.SetReadPool(&readers);
  api::ExperimentsRoutes experiment_routes(control, experiments, service.limits().max_body_bytes);
  service.Mount("experiments", &experiment_routes);
  hopts.host = host;
  hopts.port = static_cast<uint16_t>(port);
  hopts.max_body_bytes = service.limits().max_body_bytes;
  auto http = StartHttpServer(hopts, [&service, &ui](const api::HttpRequest& r) {
    if (ui && StaticFiles::Serves(r.path)) return ui->Handle(r);
    return service.Handle(r);
  });
  if (!http.ok()) {
    fprintf(stderr, "corral server: %s\n", http.status().message().c_str());
    control.Stop();
    return 1;
  }
  std::string url = "http://" + host + ":" + std::to_string((*http)->port());
  control.Post([&experiments, url] { experiments.set_server_url(url); });
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
