// Scheduler scale: 1,000 nodes x 8 GPUs with 100,000 pending jobs.
//   placement latency (p50/p99 of single gang placements on a fragmented cluster),
//   one full pass when ~500 jobs can start, a burst of starts on an empty cluster,
//   and live heap bytes per pending job.
// Anchors printed beside the figures: Slurm documents ~500 jobs/s sustained and a 10,000-job
// default limit (MaxJobCount); YuniKorn reports ~200 pods/s at 2,000 nodes.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <random>
#include <vector>

#include "sched/cluster_view.h"
#include "sched/corral_scheduler.h"
#include "sched/placement.h"

// Live heap bytes, for the memory-per-pending-job figure. The replaced operators pair malloc/free
// themselves, which GCC cannot see through.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<int64_t> g_live_bytes{0};
}  // namespace

void* operator new(std::size_t n) {
  void* p = std::malloc(n + 16);
  if (!p) throw std::bad_alloc();
  *static_cast<std::size_t*>(p) = n;
  g_live_bytes += static_cast<int64_t>(n);
  return static_cast<char*>(p) + 16;
}
void operator delete(void* p) noexcept {
  if (!p) return;
  char* base = static_cast<char*>(p) - 16;
  g_live_bytes -= static_cast<int64_t>(*reinterpret_cast<std::size_t*>(base));
  std::free(base);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

namespace corral::sched {
namespace {

constexpr int kNodes = 1000;
constexpr int kGpusPerNode = 8;
constexpr int kPending = 100'000;
const TimePoint kNow = FromMillis(1'700'000'000'000);

std::vector<NodeInfo> Cluster() {
  std::vector<NodeInfo> nodes;
  for (int i = 0; i < kNodes; ++i)
    nodes.push_back({"n" + std::to_string(i), kGpusPerNode, 0, 0, true});
  return nodes;
}

// A job mix like the Philly trace: mostly 1 GPU, some 2/4/8, a few 2 x 8 gangs.
JobRequest RandomJob(int64_t id, std::mt19937_64& rng) {
  JobRequest r;
  r.id = JobId(id);
  r.user = "u" + std::to_string(rng() % 50);
  r.queue = "q" + std::to_string(rng() % 15);
  int pick = static_cast<int>(rng() % 100);
  r.per_replica.gpus = pick < 88 ? 1 : pick < 93 ? 2 : pick < 96 ? 4 : 8;
  r.replicas = pick >= 99 ? 2 : 1;
  r.time_limit = std::chrono::minutes(5 + static_cast<int64_t>(rng() % (60 * 24)));
  r.submitted = kNow - std::chrono::seconds(static_cast<int64_t>(rng() % 3600));
  return r;
}

// Fills the cluster with restored 1-GPU jobs, leaving `free_gpus` free, scattered.
void Occupy(Scheduler& s, int free_gpus, std::mt19937_64& rng, int64_t& next_id) {
  std::vector<std::pair<int, int>> slots;
  for (int n = 0; n < kNodes; ++n)
    for (int g = 0; g < kGpusPerNode; ++g) slots.push_back({n, g});
  std::shuffle(slots.begin(), slots.end(), rng);
  slots.resize(slots.size() - free_gpus);
  for (auto [n, g] : slots) {
    JobRequest r = RandomJob(next_id++, rng);
    r.per_replica.gpus = 1;
    r.replicas = 1;
    (void)s.OnRestore(r, {{n, {g}}}, kNow - std::chrono::minutes(10));
  }
}

void BM_PlacementLatency(benchmark::State& state) {
  std::mt19937_64 rng(1);
  ClusterView view;
  view.Reset(Cluster());
  // ~75% busy, fragmented: random GPUs taken by 1-GPU jobs.
  int64_t id = 1;
  for (int n = 0; n < kNodes; ++n)
    for (int g = 0; g < kGpusPerNode; ++g)
      if (rng() % 4 != 0) (void)view.Assign(JobId(id++), {{n, {g}}}, {1, 0, 0});
  std::vector<double> micros;
  const int shapes[][2] = {{1, 1}, {1, 2}, {1, 4}, {1, 8}, {2, 8}, {4, 2}};
  size_t k = 0;
  for (auto _ : state) {
    const auto& shape = shapes[k++ % 6];
    auto t0 = std::chrono::steady_clock::now();
    auto p = PlaceGang(view, shape[0], shape[1], [&](int n) {
      int u = view.usable_gpus(n);
      return NodeRoom{std::min(u / shape[1], shape[0]), u};
    });
    auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(p);
    micros.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(micros.begin(), micros.end());
  state.counters["p50_us"] = micros[micros.size() / 2];
  state.counters["p99_us"] = micros[std::min(micros.size() - 1, micros.size() * 99 / 100)];
  state.counters["target_p99_us"] = 1000;
}
BENCHMARK(BM_PlacementLatency)->Iterations(20000);

void BM_PassWith100kPending(benchmark::State& state) {
  // 500 GPUs free, 100,000 pending: one pass orders all of them and starts what fits.
  int64_t started = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::mt19937_64 rng(2);
    auto s = MakeDefaultScheduler();
    s->SetNodes(Cluster());
    int64_t id = 1;
    Occupy(*s, 500, rng, id);
    for (int i = 0; i < kPending; ++i) (void)s->OnSubmit(RandomJob(id++, rng));
    state.ResumeTiming();
    DecisionBatch b = s->Schedule(kNow);
    state.PauseTiming();
    started += static_cast<int64_t>(b.starts.size());
    s.reset();
    state.ResumeTiming();
  }
  state.counters["starts_per_pass"] =
      static_cast<double>(started) / static_cast<double>(state.iterations());
  state.counters["target_ms"] = 50;
}
BENCHMARK(BM_PassWith100kPending)->Iterations(5)->Unit(benchmark::kMillisecond);

void BM_BurstOfStarts(benchmark::State& state) {
  // An empty cluster and 100,000 pending: the first pass starts as many as fit (~7,000).
  int64_t started = 0;
  double seconds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::mt19937_64 rng(3);
    auto s = MakeDefaultScheduler();
    s->SetNodes(Cluster());
    for (int i = 0; i < kPending; ++i) (void)s->OnSubmit(RandomJob(i + 1, rng));
    state.ResumeTiming();
    auto t0 = std::chrono::steady_clock::now();
    DecisionBatch b = s->Schedule(kNow);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.PauseTiming();
    started += static_cast<int64_t>(b.starts.size());
    s.reset();
    state.ResumeTiming();
  }
  const double rate = static_cast<double>(started) / seconds;
  state.counters["starts"] = static_cast<double>(started) / static_cast<double>(state.iterations());
  state.counters["starts_per_s"] = rate;
  state.counters["vs_slurm_500_per_s"] = rate / 500;
  state.counters["vs_yunikorn_200_per_s"] = rate / 200;
  state.counters["target_per_s"] = 2000;
}
BENCHMARK(BM_BurstOfStarts)->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_MemoryPerPendingJob(benchmark::State& state) {
  double per_job = 0;
  for (auto _ : state) {
    std::mt19937_64 rng(4);
    std::vector<JobRequest> jobs;
    jobs.reserve(kPending);
    for (int i = 0; i < kPending; ++i) jobs.push_back(RandomJob(i + 1, rng));
    auto s = MakeDefaultScheduler();
    s->SetNodes(Cluster());
    int64_t id = kPending + 1;
    Occupy(*s, 0, rng, id);
    const int64_t before = g_live_bytes.load();
    for (const auto& j : jobs) (void)s->OnSubmit(j);
    // One pass on a full cluster, so per-pass buffers are counted too.
    (void)s->Schedule(kNow);
    const int64_t after = g_live_bytes.load();
    per_job = static_cast<double>(after - before) / kPending;
  }
  state.counters["bytes_per_pending_job"] = per_job;
  state.counters["target_bytes"] = 1024;
  state.counters["pending_vs_slurm_default_limit"] = static_cast<double>(kPending) / 10000;
}
BENCHMARK(BM_MemoryPerPendingJob)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace corral::sched

BENCHMARK_MAIN();
