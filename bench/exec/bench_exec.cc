// Measures the local executor with trivial jobs (/bin/true):
//   latency    Launch() -> kStarted seen by the executor, one job at a time (the shim has spawned
//              the command and said so), and Launch() -> kExited;
//   throughput a burst of jobs launched at once, completed jobs per second.
// Every shim variant is measured in the same run. Usage: bench_exec [jobs] [root_dir]
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "exec/local/local_executor.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using corral::JobId;
using corral::exec::ExecEvent;
using corral::exec::LaunchSpec;
using corral::exec::LocalExecutor;
using corral::exec::LocalExecutorOptions;
using corral::exec::ReplicaLaunch;

struct Tracker {
  std::mutex mu;
  std::condition_variable cv;
  std::map<int64_t, Clock::time_point> started, ended;
  int failures = 0;

  void On(const ExecEvent& e) {
    auto now = Clock::now();
    std::lock_guard lock(mu);
    if (e.kind == ExecEvent::Kind::kStarted) started[e.ref.job.value] = now;
    if (e.kind == ExecEvent::Kind::kExited) {
      ended[e.ref.job.value] = now;
      if (e.exit_code != 0) ++failures;
    }
    if (e.kind == ExecEvent::Kind::kLaunchFailed || e.kind == ExecEvent::Kind::kLost) {
      ended[e.ref.job.value] = now;
      ++failures;
    }
    cv.notify_all();
  }
  void WaitEnded(size_t n) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return ended.size() >= n; });
  }
};

LaunchSpec TrivialJob(int64_t id) {
  LaunchSpec spec;
  spec.job = JobId(id);
  spec.argv = {"/bin/true"};
  spec.replicas = {ReplicaLaunch{0, "local", {}, {}}};
  return spec;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// CPU time (user + system) of this process and of its reaped descendants (shims and, through
// them, the commands), in ms. Wall figures depend on what else the machine runs; this does not.
double CpuMs() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    getrusage(who, &u);
    total += u.ru_utime.tv_sec * 1e3 + u.ru_utime.tv_usec / 1e3 + u.ru_stime.tv_sec * 1e3 +
             u.ru_stime.tv_usec / 1e3;
  }
  return total;
}

void Measure(const char* label, const std::string& shim, const std::string& root, int jobs) {
  std::filesystem::remove_all(root);
  LocalExecutorOptions options;
  options.root_dir = root;
  options.shim_command = {shim};
  LocalExecutor executor(options);
  Tracker tracker;
  executor.SetEventSink([&](ExecEvent e) { tracker.On(e); });

  // Sequential: one job at a time, so the figure is latency, not queueing.
  const int sequential = std::max(50, jobs / 4);
  std::vector<double> to_start, to_exit;
  for (int i = 1; i <= sequential; ++i) {
    auto t0 = Clock::now();
    executor.Launch(TrivialJob(i));
    tracker.WaitEnded(static_cast<size_t>(i));
    std::lock_guard lock(tracker.mu);
    if (tracker.started.count(i)) to_start.push_back(Ms(tracker.started[i] - t0));
    to_exit.push_back(Ms(tracker.ended[i] - t0));
  }

  // Burst: everything at once; completed jobs per second.
  double cpu0 = CpuMs();
  auto t0 = Clock::now();
  for (int i = 1; i <= jobs; ++i) executor.Launch(TrivialJob(sequential + i));
  tracker.WaitEnded(static_cast<size_t>(sequential + jobs));
  double seconds = Ms(Clock::now() - t0) / 1000.0;
  double cpu_per_job = (CpuMs() - cpu0) / jobs;
  std::vector<double> burst_start;
  {
    std::lock_guard lock(tracker.mu);
    for (int i = sequential + 1; i <= sequential + jobs; ++i) {
      if (tracker.started.count(i)) burst_start.push_back(Ms(tracker.started[i] - t0));
    }
  }
  executor.Shutdown();
  std::printf(
      "%-22s launch->started p50 %6.2f ms p90 %6.2f p99 %6.2f | launch->exited p50 %6.2f ms | "
      "burst of %d: %6.0f jobs/s, %.2f CPU ms/job (=> %.0f jobs/s on 2 idle cores) | failures %d\n",
      label, Percentile(to_start, 0.5), Percentile(to_start, 0.9), Percentile(to_start, 0.99),
      Percentile(to_exit, 0.5), jobs, jobs / seconds, cpu_per_job, 2000.0 / cpu_per_job,
      tracker.failures);
  std::fflush(stdout);
}

// The floor: the command alone, spawned and reaped with nothing around it.
void MeasureBareSpawn(int jobs) {
  double cpu0 = CpuMs();
  auto t0 = Clock::now();
  for (int i = 0; i < jobs; ++i) {
    pid_t pid;
    char arg0[] = "/bin/true";
    char* args[] = {arg0, nullptr};
    if (posix_spawn(&pid, arg0, nullptr, nullptr, args, environ) == 0) waitpid(pid, nullptr, 0);
  }
  double ms = Ms(Clock::now() - t0);
  double cpu_per_job = (CpuMs() - cpu0) / jobs;
  std::printf("%-22s spawn+wait %.2f ms wall, %.2f CPU ms/job (=> %.0f jobs/s on 2 idle cores)\n",
              "bare posix_spawn", ms / jobs, cpu_per_job, 2000.0 / cpu_per_job);
}

}  // namespace

int main(int argc, char** argv) {
  int jobs = argc > 1 ? std::atoi(argv[1]) : 1000;
  std::string root =
      argc > 2 ? argv[2] : (std::filesystem::temp_directory_path() / "corral-bench-exec").string();
  std::printf("bench_exec: %d trivial jobs (/bin/true) per variant, root %s, %u cpus\n", jobs,
              root.c_str(), std::thread::hardware_concurrency());
  std::printf("target (end to end, whole server): >= 1260 jobs/s, p50 submit->start <= 20 ms\n");
  MeasureBareSpawn(jobs / 2);
  Measure("shim dynamic", CORRAL_SHIM_DYNAMIC_PATH, root, jobs);
  Measure("shim static-libstdc++", CORRAL_SHIM_STATIC_LIBSTDCXX_PATH, root, jobs);
  Measure("corral-shim (static)", CORRAL_SHIM_PATH, root, jobs);
  std::filesystem::remove_all(root);
  return 0;
}
