// The `corral` client commands: flag parsing (CLI11) and dispatch. Each command lives in its own
// file behind cli/commands.h; this file only turns argv into their options.
#include "cli/cli.h"

#include <curl/curl.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <limits>

#include "cli/api_client.h"
#include "cli/client_config.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/http_client.h"
#include "cli/notebook_commands.h"
#include "cli/run_args.h"
#include "cli/terminal_input.h"
#include "cli/tune_command.h"
#include "cli/workflow_command.h"

namespace corral::cli {

namespace {

constexpr const char* kFooter =
    R"(Server and token: --url / --token, else CORRAL_URL / CORRAL_TOKEN, else the
file written by `corral login` ($XDG_CONFIG_HOME/corral/config.json), else
http://127.0.0.1:8080.

Exit status: 0 ok; 1 the server refused or failed the request; 2 usage error;
3 cannot reach the server; 4 token missing, rejected or not allowed.
`corral run --follow` exits with the job's own status instead.)";

struct ParsedFlags {
  std::string url;
  std::string token;
  std::string output;

  RunOptions run;
  int gpus = 0, replicas = 1, cpus = 1, retries = 0;
  int64_t memory_mb = 0;

  PsOptions ps;
  std::string job_id;
  std::vector<std::string> job_ids;
  LogsOptions logs;
  int logs_replica = 0, logs_attempt = 0;
  int64_t logs_tail = 0;
  std::string user_unix_user;
  std::string user_name;
  bool user_admin = false;
};

// Copies the options that were actually given into their optional fields, so the server's
// defaults apply to the rest.
void ApplyGivenRunFlags(CLI::App& run, ParsedFlags& flags) {
  auto given = [&](const char* name) { return run.get_option(name)->count() > 0; };
  RunFlags& f = flags.run.flags;
  if (given("--gpus")) f.gpus = flags.gpus;
  if (given("--replicas")) f.replicas = flags.replicas;
  if (given("--cpus")) f.cpus = flags.cpus;
  if (given("--memory")) f.memory_mb = flags.memory_mb;
  if (given("--retries")) f.retries = flags.retries;
}

// `--file` submits the spec as written; flags that would change it are a mistake to point out.
std::string SpecFlagGivenWithFile(CLI::App& run) {
  for (const char* name :
       {"--gpus", "--replicas", "--cpus", "--memory", "--name", "--env", "--workdir", "--priority",
        "--queue", "--time-limit", "--retries", "--label", "--preemptible", "--script"}) {
    if (run.get_option(name)->count() > 0) return name;
  }
  return "";
}

}  // namespace

int RunCli(int argc, char** argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  ParsedFlags flags;
  const CLI::Range kNonNegative(0, std::numeric_limits<int>::max());
  const CLI::Range kPositive(1, std::numeric_limits<int>::max());

  CLI::App app{"Corral: GPU jobs on your own machines.", "corral"};
  app.footer(kFooter);
  app.add_option("--url", flags.url,
                 "Corral server URL (default: CORRAL_URL, login, or "
                 "http://127.0.0.1:8080)");
  app.add_option("--token", flags.token, "API token (default: CORRAL_TOKEN or login)");
  app.add_option("-o,--output", flags.output, "Output format: json, yaml, or wide (ps)");

  // run
  CLI::App* run = app.add_subcommand("run", "Submit a job: corral run [flags] -- COMMAND [ARGS]");
  run->fallthrough();
  RunFlags& rf = flags.run.flags;
  run->add_option("--gpus", flags.gpus, "GPUs per replica")->check(kNonNegative);
  run->add_option("--replicas", flags.replicas, "Replicas, started together (gang)")
      ->check(kPositive);
  run->add_option("--cpus", flags.cpus, "CPUs per replica")->check(kPositive);
  run->add_option("--memory", flags.memory_mb, "Memory per replica in MB")->check(kNonNegative);
  run->add_option("--name", rf.name, "Job name");
  run->add_option("-e,--env", rf.env, "Environment variable K=V (or K: this shell's value)");
  run->add_option("--workdir", rf.workdir, "Working directory (default: the current one)");
  run->add_option("--priority", rf.priority, "opportunistic, normal, high, or interactive");
  run->add_option("--queue", rf.queue, "Queue (default: default)");
  run->add_option("--time-limit", rf.time_limit, "Time limit: 90s, 10m, 2h, 1h30m, 1d");
  run->add_option("--retries", flags.retries, "Retries after a failure")->check(kNonNegative);
  run->add_option("-l,--label", rf.labels, "Label K=V");
  run->add_flag("--preemptible", rf.preemptible, "May be preempted for other work");
  run->add_option("-F,--file", flags.run.spec_file, "Submit a job spec file (YAML or JSON) as is");
  run->add_option("--script", flags.run.script_file, "Run this shell script (- reads stdin)");
  run->add_flag("-f,--follow", flags.run.follow,
                "Stream the job's output and exit with its exit status");

  // train: a Kubeflow PyTorchJob (or any job spec file) as a gang job
  CLI::App* train = app.add_subcommand(
      "train", "Submit a training job: corral train pytorchjob.yaml (Kubeflow PyTorchJob)");
  train->add_option("file", flags.run.spec_file, "PyTorchJob YAML/JSON (- reads stdin)")
      ->required();
  train->add_flag("-f,--follow", flags.run.follow,
                  "Stream replica 0's output and exit with the job's exit status");

  // ps
  CLI::App* ps = app.add_subcommand("ps", "List jobs (active ones unless -a)");
  ps->fallthrough();
  ps->add_flag("-a,--all", flags.ps.all, "Include finished jobs");
  ps->add_option("--state", flags.ps.states, "Only these states (comma-separated)");
  ps->add_option("-u,--user", flags.ps.user, "Only this user's jobs");
  ps->add_option("-l,--label", flags.ps.labels, "Only jobs with label K=V");
  ps->add_option("--limit", flags.ps.limit, "At most this many jobs (0: all)")->check(kNonNegative);

  CLI::App* describe = app.add_subcommand("describe", "Show a job in detail");
  describe->fallthrough();
  describe->add_option("job", flags.job_id, "Job id")->required();

  CLI::App* logs = app.add_subcommand("logs", "Print a job's output");
  logs->fallthrough();
  logs->add_flag("-f,--follow", flags.logs.follow, "Keep streaming until the job ends");
  logs->add_option("--replica", flags.logs_replica, "Replica index (default 0)")
      ->check(kNonNegative);
  logs->add_option("--attempt", flags.logs_attempt, "Attempt number (default: the latest)")
      ->check(kPositive);
  logs->add_option("--tail", flags.logs_tail, "Only the last N lines (then follow, with -f)")
      ->check(CLI::NonNegativeNumber);
  logs->add_option("job", flags.logs.job_id, "Job id")->required();

  CLI::App* cancel = app.add_subcommand("cancel", "Cancel jobs");
  cancel->fallthrough();
  cancel->add_option("jobs", flags.job_ids, "Job ids")->required();

  TuneOptions tune_options;
  CLI::App* tune = AddTuneCommand(app, tune_options);
  WorkflowOptions workflow_options;
  CLI::App* workflow = AddWorkflowCommand(app, workflow_options);

  CLI::App* queues = app.add_subcommand("queues", "List queues and their use; set them (admin)");
  queues->fallthrough();
  std::string queues_file;
  queues->add_option("--set", queues_file,
                     "Replace the queue configuration with this YAML/JSON file "
                     "(queues: [{name, guaranteed_gpus, max_gpus, weight}])");
  CLI::App* nodes = app.add_subcommand("nodes", "List every GPU, free or used, and by whom");
  nodes->fallthrough();

  CLI::App* top = app.add_subcommand("top", "Watch nodes, GPUs, queues and running jobs");
  top->fallthrough();
  TopOptions top_options;
  top->add_option("-n,--interval", top_options.interval_s, "Seconds between refreshes")
      ->check(CLI::Range(0.2, 3600.0))
      ->capture_default_str();
  top->add_flag("--once", top_options.once, "Print one frame and exit (also when not a terminal)");

  CLI::App* login = app.add_subcommand("login", "Check and save the server URL and token");
  login->fallthrough();
  CLI::App* whoami = app.add_subcommand("whoami", "Show who the token belongs to");
  whoami->fallthrough();

  CLI::App* users = app.add_subcommand("users", "Manage users (admin)");
  users->require_subcommand(1);
  CLI::App* users_create = users->add_subcommand("create", "Create a user and print its token");
  users_create->fallthrough();
  users_create->add_option("name", flags.user_name, "User name")->required();
  users_create->add_flag("--admin", flags.user_admin, "Give the user the admin role");
  users_create->add_option("--unix-user", flags.user_unix_user,
                           "Local account the user's jobs run as (default: the account of the "
                           "same name, else the server's --default-job-user)");
  PasswordOptions password_options;
  CLI::App* users_passwd =
      users->add_subcommand("passwd", "Set a user's password for browser logins (admin)");
  users_passwd->fallthrough();
  users_passwd->add_option("name", password_options.user, "User name")->required();
  CLI::App* passwd = app.add_subcommand(
      "passwd", "Set your password for browser logins (read from the terminal or stdin)");
  passwd->fallthrough();

  CLI::App* token = app.add_subcommand("token", "Manage your API tokens");
  token->require_subcommand(1);
  TokenOptions token_options;
  CLI::App* token_create =
      token->add_subcommand("create", "Create a new token (for yourself, or --user, admin)");
  token_create->fallthrough();
  token_create->add_option("--label", token_options.label, "A name to recognise the token by");
  token_create->add_option("--user", token_options.user, "Create it for this user (admin)");
  CLI::App* token_ls = token->add_subcommand("ls", "List your tokens (never the secrets)");
  token_ls->fallthrough();
  token_ls->add_flag("--all", token_options.all, "Every user's tokens (admin)");
  CLI::App* token_revoke =
      token->add_subcommand("revoke", "Revoke a token by id; it stops working at once");
  token_revoke->fallthrough();
  token_revoke->add_option("id", token_options.id, "Token id (from `corral token ls`)")->required();

  // notebooks and SSH into them
  NotebookStartOptions nb_start;
  std::string nb_target, ssh_key_arg;
  bool nb_all = false, nb_ended = false, nb_no_wait = false;
  double nb_idle_timeout = 0;
  CLI::App* notebook = app.add_subcommand("notebook", "Jupyter notebooks on demand");
  notebook->require_subcommand(1);
  CLI::App* nb_start_cmd = notebook->add_subcommand(
      "start", "Start a notebook: shows free GPUs, waits until it is ready, prints its URL");
  nb_start_cmd->add_option("--gpus", nb_start.gpus, "GPUs for the notebook")->check(kNonNegative);
  nb_start_cmd->add_option("--name", nb_start.name, "Name (default nb-<id>)");
  nb_start_cmd->add_option("--env", nb_start.environment,
                           "Named environment (GET /api/v1/environments lists them)");
  CLI::Option* nb_idle = nb_start_cmd->add_option(
      "--idle-timeout", nb_idle_timeout, "Seconds idle before it is stopped (server default 1 h)");
  nb_start_cmd->add_flag("--no-wait", nb_no_wait, "Return at once instead of waiting");
  CLI::App* nb_list = notebook->add_subcommand("list", "List your notebooks");
  nb_list->alias("ls");
  nb_list->add_flag("-a,--all", nb_all, "Every user's notebooks (admin)");
  nb_list->add_flag("--ended", nb_ended, "Include stopped, culled and failed ones");
  CLI::App* nb_open = notebook->add_subcommand("open", "Print a notebook's URL");
  nb_open->add_option("name", nb_target, "Notebook name or id")->required();
  CLI::App* nb_stop = notebook->add_subcommand("stop", "Stop a notebook; its GPUs return at once");
  nb_stop->add_option("name", nb_target, "Notebook name or id")->required();
  CLI::App* ssh_key = app.add_subcommand("ssh-key", "Manage your public keys for SSH");
  ssh_key->require_subcommand(1);
  CLI::App* ssh_key_add = ssh_key->add_subcommand("add", "Register a public key (file or -)");
  ssh_key_add->add_option("file", ssh_key_arg, "e.g. ~/.ssh/id_ed25519.pub")->required();
  CLI::App* ssh_key_ls = ssh_key->add_subcommand("ls", "List your public keys");
  CLI::App* ssh_key_rm = ssh_key->add_subcommand("rm", "Remove a public key by id");
  ssh_key_rm->add_option("id", ssh_key_arg, "Key id (from `corral ssh-key ls`)")->required();
  CLI::App* ssh = app.add_subcommand("ssh", "SSH into a notebook: corral ssh NAME [ssh args]");
  ssh->add_option("name", nb_target, "Notebook name or id")->required();
  CLI::App* ssh_config =
      app.add_subcommand("ssh-config", "Print ~/.ssh/config Host blocks for your notebooks");
  CLI::App* ssh_proxy =
      app.add_subcommand("ssh-proxy", "ProxyCommand: bridge stdin/stdout to a notebook's sshd");
  ssh_proxy->add_option("name", nb_target, "Notebook name or id")->required();

  app.require_subcommand(1);

  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cout << app.help();
    return kExitOk;
  }
  auto takes_value = [&](std::string_view word) {
    std::string name(word);
    for (CLI::App* scope : {run, &app}) {
      if (const CLI::Option* option = scope->get_option_no_throw(name)) {
        return option->get_items_expected_min() > 0;
      }
    }
    return false;
  };
  if (size_t at = FindSubcommand(args, takes_value); at < args.size()) {
    auto known = app.get_subcommands([&](CLI::App* sub) { return sub->check_name(args[at]); });
    if (known.empty()) {
      std::cerr << "corral: unknown command \"" << args[at] << "\"; see `corral --help`\n";
      return kExitUsage;
    }
  }
  SplitRunArgs split = SplitRunCommand(args, takes_value);
  // `corral ssh NAME [ssh args...]`: everything after the name belongs to ssh.
  std::vector<std::string> ssh_args;
  if (size_t at = FindSubcommand(args, takes_value); at + 2 < args.size() && args[at] == "ssh") {
    ssh_args.assign(args.begin() + static_cast<std::ptrdiff_t>(at) + 2, args.end());
    split.options.assign(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(at) + 2);
  }
  try {
    // CLI11 consumes the vector from the back.
    std::vector<std::string> reversed(split.options.rbegin(), split.options.rend());
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  auto format = ParseOutputFormat(flags.output);
  if (!format.ok()) {
    std::cerr << "corral: " << format.status().message() << '\n';
    return kExitUsage;
  }

  EnvLookup env = ProcessEnv();
  std::string config_path = ConfigFilePath(env);
  std::optional<SavedLogin> saved;
  if (auto loaded = LoadConfigFile(config_path); loaded.ok()) {
    saved = *loaded;
  } else if (!login->parsed()) {
    std::cerr << "corral: warning: " << loaded.status().message() << '\n';
  }

  Connection connection;
  if (login->parsed()) {
    // Login saves exactly what it was given; a saved token is never reused for it.
    std::string token_value = flags.token;
    if (token_value.empty()) token_value = env("CORRAL_TOKEN").value_or("");
    if (token_value.empty()) token_value = ReadSecretLine("Token: ", std::cin, std::cerr);
    connection = ResolveConnection(flags.url, token_value, env, saved, config_path);
  } else {
    connection = ResolveConnection(flags.url, flags.token, env, saved, config_path);
  }

  CurlHttpClient http;
  ApiClient api(http, connection);
  SystemClock clock;
  CommandContext ctx{api, std::cin, std::cout, std::cerr, clock, *format, env};

  if (run->parsed()) {
    if (!flags.run.spec_file.empty()) {
      if (std::string flag = SpecFlagGivenWithFile(*run); !flag.empty()) {
        std::cerr << "corral: --file submits the spec as written; put " << flag
                  << " in the file instead\n";
        return kExitUsage;
      }
      if (!split.command.empty()) {
        std::cerr << "corral: --file and a command cannot be combined\n";
        return kExitUsage;
      }
    }
    ApplyGivenRunFlags(*run, flags);
    rf.command = split.command;
    std::error_code ec;
    // The server takes only normal absolute paths ("/a/b", never "/a/./b/").
    rf.workdir = rf.workdir.empty()
                     ? std::filesystem::current_path(ec).string()
                     : std::filesystem::absolute(rf.workdir, ec).lexically_normal().string();
    while (rf.workdir.size() > 1 && rf.workdir.back() == '/') rf.workdir.pop_back();
    return RunCommand(ctx, std::move(flags.run));
  }
  if (nb_start_cmd->parsed()) {
    if (nb_idle->count() > 0) nb_start.idle_timeout_s = nb_idle_timeout;
    nb_start.wait = !nb_no_wait;
    return NotebookStartCommand(ctx, nb_start);
  }
  if (nb_list->parsed()) return NotebookListCommand(ctx, nb_all, nb_ended);
  if (nb_open->parsed()) return NotebookOpenCommand(ctx, nb_target);
  if (nb_stop->parsed()) return NotebookStopCommand(ctx, nb_target);
  if (ssh_key_add->parsed()) return SshKeyAddCommand(ctx, ssh_key_arg);
  if (ssh_key_ls->parsed()) return SshKeyListCommand(ctx);
  if (ssh_key_rm->parsed()) return SshKeyRemoveCommand(ctx, ssh_key_arg);
  if (ssh->parsed()) return SshCommand(ctx, SelfPath(argv[0]), nb_target, ssh_args);
  if (ssh_config->parsed()) return SshConfigCommand(ctx, SelfPath(argv[0]));
  if (ssh_proxy->parsed()) return SshProxyCommand(ctx, nb_target);
  if (train->parsed()) return RunCommand(ctx, std::move(flags.run));
  if (ps->parsed()) return PsCommand(ctx, flags.ps);
  if (describe->parsed()) return DescribeCommand(ctx, flags.job_id);
  if (logs->parsed()) {
    if (logs->get_option("--replica")->count() > 0) flags.logs.replica = flags.logs_replica;
    if (logs->get_option("--attempt")->count() > 0) flags.logs.attempt = flags.logs_attempt;
    if (logs->get_option("--tail")->count() > 0) flags.logs.tail = flags.logs_tail;
    return LogsCommand(ctx, flags.logs);
  }
  if (cancel->parsed()) return CancelCommand(ctx, flags.job_ids);
  if (nodes->parsed()) return NodesCommand(ctx);
  if (queues->parsed()) return QueuesCommand(ctx, queues_file);
  if (top->parsed()) return TopCommand(ctx, top_options);
  if (tune->parsed()) return TuneCommand(ctx, *tune, tune_options);
  if (workflow->parsed()) return WorkflowCommand(ctx, *workflow, workflow_options);
  if (login->parsed()) return LoginCommand(ctx, LoginOptions{config_path});
  if (whoami->parsed()) return WhoamiCommand(ctx);
  if (users_create->parsed())
    return CreateUserCommand(ctx, flags.user_name, flags.user_admin, flags.user_unix_user);
  if (users_passwd->parsed()) return SetPasswordCommand(ctx, password_options);
  if (passwd->parsed()) return SetPasswordCommand(ctx, PasswordOptions{});
  if (token_create->parsed()) return CreateTokenCommand(ctx, token_options);
  if (token_ls->parsed()) return ListTokensCommand(ctx, token_options);
  if (token_revoke->parsed()) return RevokeTokenCommand(ctx, token_options);
  std::cerr << app.help();
  return kExitUsage;
}

}  // namespace corral::cli
