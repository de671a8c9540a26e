// Measures the store under the server's write pattern and its read paths at history scale:
//   1. 10,000 job inserts + 30,000 updates, group-committed with a Flush every 50 writes (and,
//      for comparison, every 200);
//   2. ListJobs page latency (100 per page) with 100,000 jobs in the table, per filter kind;
//   3. the process's resident memory afterwards.
// Usage: bench_store [directory]   (default: a fresh directory under $TMPDIR, removed after)

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "store/store.h"

namespace {

using namespace corral;
using corral::store::JobQuery;
using corral::store::Store;
using Steady = std::chrono::steady_clock;

double MillisSince(Steady::time_point start) {
  return std::chrono::duration<double, std::milli>(Steady::now() - start).count();
}

// CPU time of this thread: on a shared machine, wall time also counts other processes' turns.
double ThreadCpuMillis() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

// A job as the server would submit it: a short command, a couple of labels and env vars.
Job MakeJob(int i) {
  Job job;
  job.owner = UserId(1 + i % 50);
  job.owner_name = "user" + std::to_string(1 + i % 50);
  job.spec.name = "train-" + std::to_string(i % 200);
  job.spec.command = {"python3", "train.py", "--lr", "0.01", "--seed", std::to_string(i)};
  job.spec.resources = {.gpus = 1 + i % 4, .cpus = 4, .memory_mb = 16384};
  job.spec.env = {{"WANDB_MODE", "offline"}, {"OMP_NUM_THREADS", "4"}};
  job.spec.workdir = "/home/user/project";
  job.spec.queue = i % 3 == 0 ? "research" : "default";
  job.spec.labels = {{"team", "t" + std::to_string(i % 10)}, {"sweep", std::to_string(i / 100)}};
  job.submitted_at = FromMillis(1'700'000'000'000 + i);
  return job;
}

// The life of a job after submission: starting (placed), running, then ended.
void Advance(Job& job, int stage, int64_t now_ms) {
  switch (stage) {
    case 0: {
      job.state = JobState::kStarting;
      Attempt a;
      a.number = static_cast<int>(job.attempts.size()) + 1;
      ReplicaRun r;
      r.placement = {"gpu-node-" + std::to_string(job.id.value % 8), {0}};
      a.replicas.push_back(r);
      job.attempts.push_back(a);
      break;
    }
    case 1:
      job.state = JobState::kRunning;
      job.attempts.back().started_at = FromMillis(now_ms);
      job.attempts.back().replicas[0].state = ReplicaState::kRunning;
      job.attempts.back().replicas[0].external_id = std::to_string(10000 + job.id.value);
      job.attempts.back().replicas[0].started_at = FromMillis(now_ms);
      break;
    default:
      job.state = job.id.value % 10 == 0 ? JobState::kFailed : JobState::kSucceeded;
      job.ended_at = FromMillis(now_ms);
      job.attempts.back().ended_at = FromMillis(now_ms);
      job.attempts.back().exit_code = job.state == JobState::kFailed ? 1 : 0;
      job.attempts.back().end_reason = "exited";
      job.attempts.back().replicas[0].state = ReplicaState::kExited;
      job.attempts.back().replicas[0].ended_at = FromMillis(now_ms);
      job.attempts.back().replicas[0].exit_code = job.attempts.back().exit_code;
      break;
  }
}

struct Percentiles {
  double p50, p99, max;
};

Percentiles Summarise(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    return samples[std::min(samples.size() - 1, static_cast<size_t>(q * samples.size()))];
  };
  return {at(0.5), at(0.99), samples.back()};
}

// The floor under any durable commit on this filesystem: append 4 KiB + fdatasync, repeated.
Percentiles RawFsyncMillis(const std::filesystem::path& dir) {
  const std::string path = (dir / "fsync-probe").string();
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return {0, 0, 0};
  std::vector<char> block(4096, 'x');
  std::vector<double> samples;
  for (int i = 0; i < 100; ++i) {
    auto t = Steady::now();
    if (write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) break;
    fdatasync(fd);
    samples.push_back(MillisSince(t));
  }
  close(fd);
  unlink(path.c_str());
  return Summarise(samples);
}

long StatusKiB(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::string(field).size());
  }
  return -1;
}

// Scenario 1: inserts interleaved with the updates of jobs submitted a little earlier, as a busy
// server produces them. Every 50 writes form one group commit.
void WritePath(Store& store, int kGroup) {
  constexpr int kJobs = 10'000;
  constexpr int kLag = 100;  // a job advances one stage per ~kLag/3 later submissions
  std::vector<Job> jobs;
  jobs.reserve(kJobs);
  std::vector<double> flush_ms;
  int writes = 0, inserts = 0, updates = 0;
  double insert_ms = 0, update_ms = 0, flush_total_ms = 0;
  auto maybe_flush = [&] {
    if (++writes % kGroup != 0) return;
    auto t = Steady::now();
    Check(store.Flush(), "flush");
    flush_ms.push_back(MillisSince(t));
    flush_total_ms += flush_ms.back();
  };
  auto update = [&](Job& job, int stage) {
    Advance(job, stage, 1'700'000'100'000 + writes);
    auto t = Steady::now();
    Check(store.UpdateJob(job), "update");
    update_ms += MillisSince(t);
    ++updates;
    maybe_flush();
  };
  auto start = Steady::now();
  double cpu_start = ThreadCpuMillis();
  for (int i = 0; i < kJobs + kLag; ++i) {
    if (i < kJobs) {
      jobs.push_back(MakeJob(i));
      auto t = Steady::now();
      Check(store.InsertJob(jobs.back()), "insert");
      insert_ms += MillisSince(t);
      ++inserts;
      maybe_flush();
    }
    for (int stage = 0; stage < 3; ++stage) {
      int j = i - (stage + 1) * kLag / 3;
      if (j >= 0 && j < kJobs) update(jobs[static_cast<size_t>(j)], stage);
    }
  }
  auto t = Steady::now();
  Check(store.Flush(), "flush");
  flush_ms.push_back(MillisSince(t));
  flush_total_ms += flush_ms.back();
  double total = MillisSince(start);
  double cpu = ThreadCpuMillis() - cpu_start;
  Percentiles f = Summarise(flush_ms);
  std::printf("write path: %d inserts + %d updates, Flush every %d writes (%zu commits)\n", inserts,
              updates, kGroup, flush_ms.size());
  std::printf("  total %.0f ms = %.0f writes/s; inserts alone %.1f us each, updates %.1f us each\n",
              total, (inserts + updates) / (total / 1000), insert_ms * 1000 / inserts,
              update_ms * 1000 / updates);
  std::printf("  equivalent job rate at 4 writes per job: %.0f jobs/s (target 2,000)\n",
              (inserts + updates) / (total / 1000) / 4);
  std::printf(
      "  Flush (commit + fsync): p50 %.2f ms, p99 %.2f ms, max %.2f ms; %.0f ms of the total\n",
      f.p50, f.p99, f.max, flush_total_ms);
  std::printf(
      "  CPU time of the whole run %.0f ms = %.1f us per write (%.0f writes/s if fsync were "
      "free)\n",
      cpu, cpu * 1000 / (inserts + updates), (inserts + updates) / (cpu / 1000));
}

// Fills the table to `total` finished jobs (plus a few active ones) quickly, in large groups.
void Fill(Store& store, int from, int total) {
  for (int i = from; i < total; ++i) {
    Job job = MakeJob(i);
    // One job in 500 stays pending, as a live queue would have some.
    bool active = i % 500 == 7;
    if (!active) {
      job.state = JobState::kPending;
      Check(store.InsertJob(job), "insert");
      for (int stage = 0; stage < 3; ++stage) Advance(job, stage, 1'700'000'200'000 + i);
      Check(store.UpdateJob(job), "update");
    } else {
      Check(store.InsertJob(job), "insert");
    }
    if (i % 1000 == 999) Check(store.Flush(), "flush");
  }
  Check(store.Flush(), "flush");
}

void ReadPath(Store& store, int jobs) {
  std::printf("read path with %d jobs in the table (limit 100 per page, 30 runs each):\n", jobs);
  struct Case {
    const char* name;
    std::function<JobQuery()> make;
  };
  auto q = [](auto&& fill) {
    return [fill] {
      JobQuery query;
      fill(query);
      return query;
    };
  };
  const std::vector<Case> cases = {
      {"newest page, no filter", q([](JobQuery&) {})},
      {"deep page (cursor at 50%)", q([jobs](JobQuery& x) { x.after_id = jobs / 2; })},
      {"owner", q([](JobQuery& x) { x.owner = UserId(7); })},
      {"owner, deep page", q([jobs](JobQuery& x) {
         x.owner = UserId(7);
         x.after_id = jobs / 2;
       })},
      {"state=succeeded (common)", q([](JobQuery& x) { x.states = {JobState::kSucceeded}; })},
      {"state=pending (rare)", q([](JobQuery& x) { x.states = {JobState::kPending}; })},
      {"state in (pending,running)", q([](JobQuery& x) {
         x.states = {JobState::kPending, JobState::kRunning};
       })},
      {"state in (succeeded,failed)", q([](JobQuery& x) {
         x.states = {JobState::kSucceeded, JobState::kFailed};
       })},
      {"name", q([](JobQuery& x) { x.name = "train-42"; })},
      {"queue", q([](JobQuery& x) { x.queue = "research"; })},
      {"label team=t3", q([](JobQuery& x) {
         x.labels = {{"team", "t3"}};
       })},
      {"label sweep=N (rare)", q([](JobQuery& x) {
         x.labels = {{"sweep", "321"}};
       })},
      {"owner+state+label", q([](JobQuery& x) {
         x.owner = UserId(3);
         x.states = {JobState::kSucceeded};
         x.labels = {{"team", "t2"}};
       })},
      {"owner+pending (none match)", q([](JobQuery& x) {
         x.owner = UserId(4);
         x.states = {JobState::kPending};
       })},
  };
  for (const Case& c : cases) {
    std::vector<double> samples, cpu;
    size_t rows = 0;
    for (int run = 0; run < 30; ++run) {
      JobQuery query = c.make();
      auto t = Steady::now();
      double c0 = ThreadCpuMillis();
      auto page = store.ListJobs(query);
      samples.push_back(MillisSince(t));
      cpu.push_back(ThreadCpuMillis() - c0);
      Check(page.status(), "list");
      rows = page->jobs.size();
    }
    Percentiles p = Summarise(samples);
    Percentiles pc = Summarise(cpu);
    std::printf("  %-30s %3zu rows  wall p50 %6.2f ms  p99 %6.2f ms | cpu p50 %6.2f ms\n", c.name,
                rows, p.p50, p.p99, pc.p50);
  }
  std::vector<double> gets;
  for (int i = 0; i < 1000; ++i) {
    auto t = Steady::now();
    auto job = store.GetJob(JobId(1 + (i * 7919) % jobs));
    gets.push_back(MillisSince(t));
    Check(job.status(), "get");
  }
  Percentiles g = Summarise(gets);
  std::printf("  GetJob: p50 %.3f ms, p99 %.3f ms\n", g.p50, g.p99);
  auto t = Steady::now();
  auto active = store.LoadActiveJobs();
  Check(active.status(), "load active");
  std::printf("  LoadActiveJobs: %zu jobs in %.1f ms\n", active->size(), MillisSince(t));
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path dir;
  bool remove_after = false;
  if (argc > 1) {
    dir = argv[1];
    std::filesystem::create_directories(dir);
  } else {
    std::string pattern = (std::filesystem::temp_directory_path() / "bench-store-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) return 1;
    dir = pattern;
    remove_after = true;
  }
  const std::string path = (dir / "bench.db").string();
  std::filesystem::remove(path);
  long rss_start = StatusKiB("VmRSS:");
  Percentiles fsync = RawFsyncMillis(dir);
  std::printf("raw 4 KiB write + fdatasync on this filesystem: p50 %.2f ms, p99 %.2f ms\n",
              fsync.p50, fsync.p99);
  {
    auto opened = store::OpenSqliteStore(path);
    Check(opened.status(), "open");
    store::Store& s = **opened;
    WritePath(s, 50);
    constexpr int kHistory = 100'000;
    auto t = Steady::now();
    Fill(s, 10'000, kHistory);
    std::printf("filled to %d jobs in %.1f s (groups of 1000)\n", kHistory, MillisSince(t) / 1000);
    ReadPath(s, kHistory);
    std::printf("memory: VmRSS %ld KiB (at start %ld KiB), VmHWM %ld KiB\n", StatusKiB("VmRSS:"),
                rss_start, StatusKiB("VmHWM:"));
  }
  // A restarted server: a fresh connection, cold cache, reading history and the active set.
  {
    auto reopened = store::OpenSqliteStore(path);
    Check(reopened.status(), "reopen");
    auto t = Steady::now();
    auto active = (*reopened)->LoadActiveJobs();
    Check(active.status(), "load active");
    std::printf("after reopen: LoadActiveJobs %zu jobs in %.1f ms\n", active->size(),
                MillisSince(t));
  }
  // Larger groups are what the server's commit loop forms by itself when writes arrive faster
  // than one fsync: shown for comparison, on a database of their own.
  {
    const std::string scratch = (dir / "bench-group.db").string();
    std::filesystem::remove(scratch);
    auto opened = store::OpenSqliteStore(scratch);
    Check(opened.status(), "open");
    WritePath(**opened, 200);
    opened->reset();
    std::filesystem::remove(scratch);
    std::filesystem::remove(scratch + "-wal");
    std::filesystem::remove(scratch + "-shm");
  }
  std::error_code ec;
  std::printf("database file with %d jobs: %.1f MiB\n", 100'000,
              static_cast<double>(std::filesystem::file_size(path, ec)) / (1 << 20));
  if (remove_after) std::filesystem::remove_all(dir, ec);
  return 0;
}
