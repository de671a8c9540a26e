#include "exec/slurm/batch_script.h"

#include <algorithm>

#include <fmt/format.h>

namespace corral::exec::slurm {

std::string AttemptDir(const std::string& spool_dir, JobId job, int attempt) {
  return fmt::format("{}/jobs/{}/{}", spool_dir, job.value, attempt);
}

std::string ReplicaLogPath(const std::string& spool_dir, const ReplicaRef& ref) {
  return fmt::format("{}/replica-{}.log", AttemptDir(spool_dir, ref.job, ref.attempt), ref.replica);
}

std::string ReplicaExitPath(const std::string& spool_dir, const ReplicaRef& ref) {
  return fmt::format("{}/replica-{}.exit", AttemptDir(spool_dir, ref.job, ref.attempt),
                     ref.replica);
}

std::string SlurmJobName(const std::string& prefix, JobId job, int attempt) {
  return fmt::format("{}-{}-{}", prefix, job.value, attempt);
}

std::string ShellQuote(const std::string& value) {
  if (!value.empty() &&
      value.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "0123456789_-./:=,+@%") == std::string::npos)
    return value;
  std::string out = "'";
  for (char c : value) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

namespace {

bool ValidEnvName(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

Result<BatchJob> BuildBatchJob(const LaunchSpec& spec, const BatchOptions& options) {
  if (spec.replicas.empty()) return InvalidArgument("replicas", "an attempt needs a replica");
  if (spec.argv.empty() == spec.script.empty())
    return InvalidArgument("command", "exactly one of argv and script");
  const std::string dir = AttemptDir(options.spool_dir, spec.job, spec.attempt);
  BatchJob job;

  // Nodes in order of their first replica; the batch script runs on the first.
  std::vector<std::string> nodes;
  std::map<std::string, int> replicas_on, gpus_on;
  for (const ReplicaLaunch& r : spec.replicas) {
    if (r.node.empty()) return InvalidArgument("replicas.node", "a replica has no node");
    if (replicas_on[r.node]++ == 0) nodes.push_back(r.node);
    gpus_on[r.node] += static_cast<int>(r.gpus.size());
  }
  int tasks_per_node = 0, gpus_per_node = 0;
  for (const auto& n : nodes) {
    tasks_per_node = std::max(tasks_per_node, replicas_on[n]);
    gpus_per_node = std::max(gpus_per_node, gpus_on[n]);
  }
  std::string nodelist;
  for (const auto& n : nodes) nodelist += (nodelist.empty() ? "" : ",") + n;
  const int cpus = std::max(spec.cpus, 1);

  auto& a = job.sbatch_args;
  a.push_back("--parsable");
  a.push_back("--job-name=" + SlurmJobName(options.name_prefix, spec.job, spec.attempt));
  if (!options.partition.empty()) a.push_back("--partition=" + options.partition);
  a.push_back(fmt::format("--nodes={}", nodes.size()));
  a.push_back("--nodelist=" + nodelist);
  a.push_back(fmt::format("--ntasks={}", spec.replicas.size()));
  a.push_back(fmt::format("--ntasks-per-node={}", tasks_per_node));
  a.push_back(fmt::format("--cpus-per-task={}", cpus));
  if (gpus_per_node > 0) a.push_back(fmt::format("--gres=gpu:{}", gpus_per_node));
  if (spec.memory_mb > 0) a.push_back(fmt::format("--mem={}", spec.memory_mb * tasks_per_node));
  if (spec.time_limit) {
    // Slurm counts whole minutes.
    int64_t minutes = std::max<int64_t>(1, (spec.time_limit->count() + 59'999) / 60'000);
    a.push_back(fmt::format("--time={}", minutes));
  }
  // Corral decides about retries and requeues, never Slurm on its own.
  a.push_back("--no-requeue");
  a.push_back("--output=" + dir + "/batch.log");
  a.push_back("--chdir=" + dir);
  a.push_back("--export=ALL");
  if (options.pass_account && spec.run_as) {
    a.push_back("--uid=" + std::to_string(spec.run_as->uid));
    a.push_back("--gid=" + std::to_string(spec.run_as->gid));
  }
  a.push_back(dir + "/batch.sh");

  std::map<std::string, std::string> env = options.base_env;
  if (spec.run_as) {
    if (!spec.run_as->home.empty()) env["HOME"] = spec.run_as->home;
    if (!spec.run_as->shell.empty()) env["SHELL"] = spec.run_as->shell;
  }
  for (const auto& [k, v] : spec.env) env[k] = v;
  if (spec.run_as) {
    env["USER"] = spec.run_as->name;
    env["LOGNAME"] = spec.run_as->name;
  }
  env["CORRAL_JOB_ID"] = std::to_string(spec.job.value);
  env["CORRAL_ATTEMPT"] = std::to_string(spec.attempt);
  env["CORRAL_REPLICAS"] = std::to_string(spec.replicas.size());

  std::vector<std::string> command;
  if (!spec.script.empty()) {
    job.user_script = spec.script;
    command = {"/bin/sh", dir + "/script.sh"};
  } else {
    command = spec.argv;
  }
  const std::string workdir = spec.workdir.empty() ? dir + "/work" : spec.workdir;
  const int64_t grace_s = std::max<int64_t>(1, (spec.kill_grace.count() + 999) / 1000);

  std::string s;
  s += "#!/bin/bash\n";
  s += fmt::format("# Corral job {} attempt {}: {} replica(s) on {}\n", spec.job.value,
                   spec.attempt, spec.replicas.size(), nodelist);
  s += "D=" + ShellQuote(dir) + "\n";
  s += "echo \"$SLURM_JOB_ID\" > \"$D/slurm_job_id\"\n";
  // Only what the job is given: nothing of the submitting process's environment.
  s += "for v in $(compgen -e); do case $v in SLURM_*|SLURMD_*) ;; *) unset \"$v\";; esac; done\n";
  for (const auto& [k, v] : env) {
    if (!ValidEnvName(k)) return InvalidArgument("env." + k, "not a valid environment name");
    s += "export " + k + "=" + ShellQuote(v) + "\n";
  }
  // SIGTERM from scancel reaches every step itself; the script stays to record the exits.
  s += "trap 'terminating=1' TERM\n";
  s += "declare -A replica_of\n";
  for (const ReplicaLaunch& r : spec.replicas) {
    std::string line = "srun --export=ALL --nodes=1 --ntasks=1 --exact --kill-on-bad-exit=1";
    line += " --nodelist=" + ShellQuote(r.node);
    line += fmt::format(" --cpus-per-task={}", cpus);
    line += fmt::format(" --gres=gpu:{}", r.gpus.size());
    if (spec.memory_mb > 0) line += fmt::format(" --mem={}", spec.memory_mb);
    line += fmt::format(" --output=\"$D/replica-{}.log\"", r.index);
    line += " --chdir=" + ShellQuote(workdir);
    line += " /usr/bin/env --";
    std::map<std::string, std::string> renv = r.env;
    renv["CORRAL_REPLICA"] = std::to_string(r.index);
    renv["CORRAL_NODE"] = r.node;
    for (const auto& [k, v] : renv) {
      if (!ValidEnvName(k)) return InvalidArgument("env." + k, "not a valid environment name");
      line += " " + ShellQuote(k + "=" + v);
    }
    for (const auto& arg : command) line += " " + ShellQuote(arg);
    line += fmt::format(" &\nreplica_of[$!]={}\n", r.index);
    s += line;
  }
  s += fmt::format("left={}; result=0\n", spec.replicas.size());
  s += "while [ \"$left\" -gt 0 ]; do\n";
  s += "  done_pid=; wait -n -p done_pid; rc=$?\n";
  s += "  [ -n \"$done_pid\" ] || continue\n";
  s += "  i=${replica_of[$done_pid]:-}; [ -n \"$i\" ] || continue\n";
  s += "  unset \"replica_of[$done_pid]\"; left=$((left-1))\n";
  s += "  echo \"$rc\" > \"$D/replica-$i.exit.tmp\" && mv \"$D/replica-$i.exit.tmp\" "
       "\"$D/replica-$i.exit\"\n";
  s += "  if [ \"$rc\" -ne 0 ] && [ \"$result\" -eq 0 ]; then\n";
  s += "    result=$rc\n";
  // SIGTERM to the job's steps only (not this script), SIGKILL after the grace.
  s += "    scancel --signal=TERM \"$SLURM_JOB_ID\" 2>/dev/null\n";
  s += fmt::format("    (sleep {}; scancel --signal=KILL \"$SLURM_JOB_ID\" 2>/dev/null) &\n",
                   grace_s);
  s += "  fi\n";
  s += "done\n";
  s += "exit $result\n";
  job.batch_script = std::move(s);
  return job;
}

}  // namespace corral::exec::slurm
