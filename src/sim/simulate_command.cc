// `corral simulate`: replays a trace through the default scheduler and the baseline policies in
// one run, prints one table plus the targets, and writes per-job CSVs.
#include "sim/simulate_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <memory>
#include <sstream>

#include "sched/corral_scheduler.h"
#include "sim/baseline_scheduler.h"
#include "sim/metrics.h"
#include "sim/simulator.h"
#include "sim/trace.h"

namespace corral::sim {
namespace {

struct Flags {
  std::string trace;
  int nodes = 64;
  int gpus_per_node = 8;
  std::optional<double> from_s, to_s;
  std::string policies = "corral,corral-limit,fifo,greedy,easy,easy-limit";
  bool preemption = false;
  double checkpoint_cost_s = 300;
  double shorter_job_ratio = 4;
  int filler = 0;
  double filler_duration_s = 3600;
  double interactive_every_s = 0;
  double interactive_duration_s = 1800;
  int users_per_vc = 1;
  double guarantee_fraction = 0;
  int queue_max_gpus = -1;
  std::string out_dir;
  std::string summary_csv;
  bool check_once = false;
  double starvation_age_h = -1;
  double large_starvation_age_h = -1;
  double share_strength = -1;
  double backlog_starvation_factor = 0;
  double fifo_deadline_factor = -1;
  int max_reservations = -1;
  double fifo_max_wait_factor = -1;
  double fifo_backlog_lookahead = -1;
  double fifo_deadline_min_wait_h = -1;
  double drain_guard_extension_h = -1;
  double drain_guard_nodes = -1;
  double checkpointable_share = 0;
};

struct Variant {
  std::string name;
  std::function<std::unique_ptr<sched::Scheduler>()> make;
  ScenarioConfig config;
};

std::string FileStem(const std::string& name) {
  std::string file = name;
  for (char& c : file)
    if (c == '+') c = '_';
  return file;
}

const char* KindName(JobKind k) {
  switch (k) {
    case JobKind::kTrace:
      return "trace";
    case JobKind::kFiller:
      return "filler";
    case JobKind::kInteractive:
      return "interactive";
  }
  return "?";
}

const char* EndName(SegmentEnd e) {
  switch (e) {
    case SegmentEnd::kFinished:
      return "finished";
    case SegmentEnd::kPreempted:
      return "preempted";
    case SegmentEnd::kCut:
      return "cut";
  }
  return "?";
}

// One row per run segment, times to the millisecond (the simulator's resolution), so that
// scripts/check_schedule.py can check the schedule from this file alone.
void WriteSegmentsCsv(const std::string& dir, const std::string& name, const SimResult& r) {
  std::ofstream out(std::filesystem::path(dir) / (FileStem(name) + "_segments.csv"));
  out << std::fixed << std::setprecision(3);
  out << "job,trace_id,kind,attempt,start_s,end_s,ended,sigterm_s,restart_cost_s,duration_s,gpus,"
         "devices\n";
  for (const auto& g : r.segments)
    out << g.job << ',' << g.trace_id << ',' << KindName(g.kind) << ',' << g.attempt << ','
        << g.start_s << ',' << g.end_s << ',' << EndName(g.ended) << ',' << g.sigterm_s << ','
        << g.restart_cost_s << ',' << g.duration_s << ',' << g.gpus << ',' << g.devices << '\n';
}

// One row per policy with the printed figures, for scripts that compare runs.
void WriteSummaryCsv(const std::string& path, const std::vector<Summary>& rows) {
  std::ofstream out(path);
  out << std::setprecision(6);
  out << "policy,jobs,never_started,avg_jct_h,median_jct_h,p95_jct_h,avg_wait_h,max_wait_h,"
         "big_avg_wait_h,alloc_q,alloc_fit,fit_share,alloc_where_fit,allocation,utilisation,"
         "worst_tenant_wait_h,preemptions,lost_fraction,wall_s\n";
  for (const auto& s : rows)
    out << s.policy << ',' << s.jobs << ',' << s.never_started << ',' << s.avg_jct_h << ','
        << s.median_jct_h << ',' << s.p95_jct_h << ',' << s.avg_wait_h << ',' << s.max_wait_h << ','
        << s.big_avg_wait_h << ',' << s.allocated_while_queued << ',' << s.allocated_while_fit
        << ',' << s.fit_share << ',' << s.allocated_where_fit << ',' << s.allocation << ','
        << s.utilisation << ',' << s.worst_tenant_wait_h << ',' << s.preemptions << ','
        << s.lost_fraction << ',' << s.wall_s << '\n';
}

void WriteCsv(const std::string& dir, const std::string& name, const SimResult& r) {
  std::ofstream out(std::filesystem::path(dir) / (FileStem(name) + ".csv"));
  out << std::fixed << std::setprecision(1);
  out << "job_id,kind,submit_s,start_s,end_s,wait_s,jct_s,duration_s,gpus,tenant,user,nodes,"
         "preemptions,job\n";
  for (const auto& j : r.jobs) {
    out << j.trace_id << ',' << (j.kind == JobKind::kInteractive ? "interactive" : "trace") << ','
        << j.submit_s << ',' << j.first_start_s << ',' << j.end_s << ','
        << (j.first_start_s >= 0 ? j.first_start_s - j.submit_s : -1) << ','
        << (j.end_s >= 0 ? j.end_s - j.submit_s : -1) << ',' << j.duration_s << ',' << j.gpus << ','
        << j.tenant << ',' << j.user << ',' << j.nodes << ',' << j.preemptions << ',' << j.job
        << '\n';
  }
}

const char* Mark(bool ok) { return ok ? "MET   " : "MISSED"; }

}  // namespace

// Options whose -1 default means "the policy's own value": a negative value given is an error,
// never taken as unset.
const CLI::Validator kNonNegative(
    [](std::string& value) -> std::string {
      char* end = nullptr;
      const double v = std::strtod(value.c_str(), &end);
      if (end == value.c_str() || *end != '\0') return "must be a number, got " + value;
      if (!(v >= 0)) return "must be >= 0, got " + value;
      return {};
    },
    ">= 0");

int RunSimulate(int argc, char** argv) {
  Flags f;
  CLI::App app{"Replay a job trace through the scheduler and baseline policies", "simulate"};
  app.add_option("--trace", f.trace, "trace CSV: job_id,submit_s,duration_s,gpus,user[,vc,...]")
      ->required();
  app.add_option("--nodes", f.nodes, "nodes in the simulated cluster")->check(CLI::PositiveNumber);
  app.add_option("--gpus-per-node", f.gpus_per_node, "GPUs per node")->check(CLI::PositiveNumber);
  app.add_option("--from", f.from_s, "first submit_s to replay (inclusive)");
  app.add_option("--to", f.to_s, "last submit_s to replay (exclusive)");
  app.add_option("--policies", f.policies,
                 "comma list of corral, corral-limit, fifo, greedy, easy, easy-limit");
  app.add_flag("--preemption", f.preemption,
               "also run corral with checkpointable, preemptible trace jobs (size-based "
               "preemption)");
  app.add_option("--checkpointable-share", f.checkpointable_share,
                 "this fraction of the trace jobs checkpoint and may be preempted, in every run: "
                 "the scheduler may lend them GPUs held for waiting gangs")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--checkpoint-cost-s", f.checkpoint_cost_s,
                 "run time a preempted job loses on restart");
  app.add_option("--shorter-job-ratio", f.shorter_job_ratio,
                 "size-based preemption: victim's remaining GPU-time / waiting job's");
  app.add_option("--filler", f.filler,
                 "also run corral with this many opportunistic 1-GPU trials outstanding");
  app.add_option("--filler-duration-s", f.filler_duration_s, "run time of one filler trial");
  app.add_option("--interactive-every-s", f.interactive_every_s,
                 "also run corral with a 1-GPU interactive request every S seconds");
  app.add_option("--interactive-duration-s", f.interactive_duration_s,
                 "run time of one interactive request");
  app.add_option("--users-per-vc", f.users_per_vc,
                 "synthesise this many users per tenant (the trace has user = vc)");
  app.add_option("--guarantee-fraction", f.guarantee_fraction,
                 "guarantee each tenant this fraction of the cluster times its offered share");
  app.add_option("--queue-max-gpus", f.queue_max_gpus, "cap every tenant's queue (-1: none)");
  app.add_option("--out-dir", f.out_dir,
                 "write <policy>.csv (one row per job) and <policy>_segments.csv (one row "
                 "per run segment) here");
  app.add_option("--summary-csv", f.summary_csv, "write one row of figures per policy here");
  app.add_flag("--check-once", f.check_once,
               "check invariants only at the end (default: after every step)");
  app.add_option("--starvation-age-h", f.starvation_age_h, "corral: starvation age (hours)")
      ->check(kNonNegative);
  app.add_option("--large-starvation-age-h", f.large_starvation_age_h,
                 "corral: starvation age of jobs with >= 8 GPUs (hours)")
      ->check(kNonNegative);
  app.add_option("--share-strength", f.share_strength, "corral: queue fair-share strength")
      ->check(kNonNegative);
  app.add_option("--backlog-starvation-factor", f.backlog_starvation_factor,
                 "corral: starvation ages at least this multiple of the backlog's drain time");
  app.add_option("--fifo-deadline-factor", f.fifo_deadline_factor,
                 "corral: a job starves after this fraction of its wait in a FIFO shadow")
      ->check(kNonNegative);
  app.add_option("--fifo-deadline-min-wait-h", f.fifo_deadline_min_wait_h,
                 "corral: and not before it has waited this long (hours)")
      ->check(kNonNegative);
  app.add_option("--fifo-max-wait-factor", f.fifo_max_wait_factor,
                 "corral: nor before this fraction of the FIFO shadow's longest wait so far")
      ->check(kNonNegative);
  app.add_option("--fifo-backlog-lookahead", f.fifo_backlog_lookahead,
                 "corral: due earlier by this times the urgent work ahead's drain time")
      ->check(kNonNegative);
  app.add_option("--max-reservations", f.max_reservations,
                 "corral: reservations per pass (the first blocked job, then starving gangs)");
  app.add_option("--drain-guard-extension-h", f.drain_guard_extension_h,
                 "corral: keep small jobs off nodes about to drain for waiting gangs when they "
                 "would run this long past the drain (hours; 0: no guard)")
      ->check(kNonNegative);
  app.add_option("--drain-guard-nodes", f.drain_guard_nodes,
                 "corral: nodes guarded per node the waiting gangs fill")
      ->check(kNonNegative);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  auto trace = LoadTrace(f.trace, {f.from_s, f.to_s});
  if (!trace.ok()) {
    std::fprintf(stderr, "corral simulate: %s\n", trace.status().message().c_str());
    return 2;
  }
  SynthesiseUsers(*trace, f.users_per_vc);
  if (trace->empty()) {
    std::fprintf(stderr, "corral simulate: no jobs in the window\n");
    return 2;
  }

  ScenarioConfig base;
  base.nodes = f.nodes;
  base.gpus_per_node = f.gpus_per_node;
  base.window_from_s = f.from_s.value_or(trace->front().submit_s);
  base.window_to_s = f.to_s.value_or(trace->back().submit_s);
  base.guarantee_fraction = f.guarantee_fraction;
  base.queue_max_gpus = f.queue_max_gpus;
  base.check_every_step = !f.check_once;
  base.checkpointable_share = f.checkpointable_share;
  base.checkpoint_cost_s = f.checkpoint_cost_s;

  sched::SchedulerOptions corral_options;
  if (f.starvation_age_h >= 0)
    corral_options.starvation_age = Duration(static_cast<int64_t>(f.starvation_age_h * 3.6e6));
  if (f.large_starvation_age_h >= 0)
    corral_options.large_job_starvation_age =
        Duration(static_cast<int64_t>(f.large_starvation_age_h * 3.6e6));
  if (f.share_strength >= 0) corral_options.queue_share_strength = f.share_strength;
  corral_options.backlog_starvation_factor = f.backlog_starvation_factor;
  // Fixed starvation ages replace the FIFO-deadline rule unless a factor is given too.
  if (f.starvation_age_h >= 0 || f.large_starvation_age_h >= 0 || f.backlog_starvation_factor > 0)
    corral_options.fifo_deadline_factor = 0;
  if (f.fifo_deadline_factor >= 0) corral_options.fifo_deadline_factor = f.fifo_deadline_factor;
  if (f.fifo_max_wait_factor >= 0) corral_options.fifo_max_wait_factor = f.fifo_max_wait_factor;
  if (f.fifo_backlog_lookahead >= 0)
    corral_options.fifo_backlog_lookahead = f.fifo_backlog_lookahead;
  if (f.max_reservations > 0) corral_options.max_reservations = f.max_reservations;
  if (f.drain_guard_extension_h >= 0)
    corral_options.drain_guard_extension =
        Duration(static_cast<int64_t>(f.drain_guard_extension_h * 3.6e6));
  if (f.drain_guard_nodes >= 0) corral_options.drain_guard_nodes = f.drain_guard_nodes;
  if (f.fifo_deadline_min_wait_h >= 0)
    corral_options.fifo_deadline_min_wait =
        Duration(static_cast<int64_t>(f.fifo_deadline_min_wait_h * 3.6e6));

  std::vector<Variant> variants;
  std::stringstream list(f.policies);
  std::string name;
  while (std::getline(list, name, ',')) {
    ScenarioConfig c = base;
    if (name == "corral" || name == "corral-limit") {
      c.estimates = name == "corral" ? EstimateMode::kOracle : EstimateMode::kRequestedLimit;
      variants.push_back(
          {name, [corral_options] { return sched::MakeDefaultScheduler(corral_options); }, c});
    } else if (name == "fifo") {
      variants.push_back({name, [] { return MakeBaselineScheduler(BaselinePolicy::kFifo); }, c});
    } else if (name == "greedy") {
      variants.push_back({name, [] { return MakeBaselineScheduler(BaselinePolicy::kGreedy); }, c});
    } else if (name == "easy" || name == "easy-limit") {
      c.estimates = name == "easy" ? EstimateMode::kOracle : EstimateMode::kRequestedLimit;
      variants.push_back({name, [] { return MakeBaselineScheduler(BaselinePolicy::kEasy); }, c});
    } else {
      std::fprintf(stderr, "corral simulate: unknown policy '%s'\n", name.c_str());
      return 2;
    }
  }
  if (f.preemption) {
    ScenarioConfig c = base;
    c.preemptible_trace_jobs = true;
    c.checkpoint_cost_s = f.checkpoint_cost_s;
    sched::SchedulerOptions o = corral_options;
    o.shorter_job_ratio = f.shorter_job_ratio;
    variants.push_back({"corral+preempt", [o] { return sched::MakeDefaultScheduler(o); }, c});
  }
  if (f.filler > 0) {
    ScenarioConfig c = base;
    c.filler_jobs = f.filler;
    c.filler_duration_s = f.filler_duration_s;
    c.checkpoint_cost_s = f.checkpoint_cost_s;
    variants.push_back({"corral+filler",
                        [corral_options] { return sched::MakeDefaultScheduler(corral_options); },
                        c});
  }
  if (f.interactive_every_s > 0) {
    ScenarioConfig c = base;
    c.filler_jobs = f.filler;
    c.filler_duration_s = f.filler_duration_s;
    c.checkpoint_cost_s = f.checkpoint_cost_s;
    c.interactive_every_s = f.interactive_every_s;
    c.interactive_duration_s = f.interactive_duration_s;
    variants.push_back({f.filler > 0 ? "corral+filler+interactive" : "corral+interactive",
                        [corral_options] { return sched::MakeDefaultScheduler(corral_options); },
                        c});
  }

  if (!f.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(f.out_dir, ec);
    if (ec) {
      std::fprintf(stderr, "corral simulate: cannot create %s: %s\n", f.out_dir.c_str(),
                   ec.message().c_str());
      return 2;
    }
  }

  std::printf("trace %s: %zu jobs, submit_s in [%.0f, %.0f), %d nodes x %d GPUs\n", f.trace.c_str(),
              trace->size(), base.window_from_s, base.window_to_s, f.nodes, f.gpus_per_node);
  const auto unnamed = std::count_if(trace->begin(), trace->end(),
                                     [](const TraceJob& t) { return t.tenant.empty(); });
  if (unnamed > 0)
    std::printf("note: %ld jobs name no tenant (empty user/vc cell): replayed as tenant '%s'\n",
                static_cast<long>(unnamed), kUnnamedTenant);
  std::printf(
      "estimates: corral/easy = oracle (time limit = duration); *-limit = duration "
      "rounded up to 15m,30m,1h,2h,4h,8h,12h,24h,48h,72h,1w,whole weeks\n\n");
  std::vector<Summary> rows;
  for (auto& v : variants) {
    auto scheduler = v.make();
    auto t0 = std::chrono::steady_clock::now();
    auto result = Simulate(*trace, *scheduler, v.config);
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!result.ok()) {
      std::fprintf(stderr, "corral simulate: policy %s: invariant violated: %s\n", v.name.c_str(),
                   result.status().message().c_str());
      return 3;
    }
    result->wall_s = wall;
    rows.push_back(Summarize(v.name, *result));
    if (!f.out_dir.empty()) {
      WriteCsv(f.out_dir, v.name, *result);
      WriteSegmentsCsv(f.out_dir, v.name, *result);
    }
  }

  if (!f.summary_csv.empty()) WriteSummaryCsv(f.summary_csv, rows);

  std::printf("%-26s %6s %6s %6s %6s %7s %7s %6s %6s %7s %6s %6s %18s %18s %7s %6s %8s %6s\n",
              "policy", "avgJCT", "medJCT", "p95JCT", "avgW", "maxW", "8+GPU W", "allocQ", "allocF",
              "alloc", "util", "jobs", "worst tenant W", "best tenant W", "preempt", "lost",
              "int p95s", "wall_s");
  for (const auto& s : rows) {
    char worst[64], best[64];
    std::snprintf(worst, sizeof worst, "%s %.2f", s.worst_tenant.c_str(), s.worst_tenant_wait_h);
    std::snprintf(best, sizeof best, "%s %.2f", s.best_tenant.c_str(), s.best_tenant_wait_h);
    std::printf(
        "%-26s %6.2f %6.2f %6.2f %6.2f %7.2f %7.2f %5.1f%% %5.1f%% %6.1f%% %5.1f%% %6d %18s %18s "
        "%7d %5.2f%% %8.1f %6.2f\n",
        s.policy.c_str(), s.avg_jct_h, s.median_jct_h, s.p95_jct_h, s.avg_wait_h, s.max_wait_h,
        s.big_avg_wait_h, 100 * s.allocated_while_queued, 100 * s.allocated_while_fit,
        100 * s.allocation, 100 * s.utilisation, s.jobs, worst, best, s.preemptions,
        100 * s.lost_fraction, s.interactive_p95_s, s.wall_s);
  }
  std::printf(
      "\n(hours unless marked; W = wait = first start - submit; allocQ = GPUs allocated "
      "while trace jobs wait; allocF = the same while some waiting gang fits in the free GPUs; "
      "alloc = all allocations incl. filler over the span; util = "
      "trace GPU-time over the span; lost = preempted GPU-time not kept / allocated)\n\n");

  auto find = [&](const std::string& n) -> const Summary* {
    for (const auto& s : rows)
      if (s.policy == n) return &s;
    return nullptr;
  };
  const Summary* c = find("corral");
  const Summary* fifo = find("fifo");
  const Summary* greedy = find("greedy");
  const Summary* easy = find("easy");
  std::printf("targets:\n");
  if (c && greedy)
    std::printf("  %s corral avg JCT %.2f h <= greedy %.2f h\n",
                Mark(c->avg_jct_h <= greedy->avg_jct_h), c->avg_jct_h, greedy->avg_jct_h);
  if (c && fifo) {
    std::printf("  %s corral max wait %.2f h <= FIFO %.2f h\n",
                Mark(c->max_wait_h <= fifo->max_wait_h), c->max_wait_h, fifo->max_wait_h);
    std::printf("  %s corral avg wait of >=8-GPU jobs %.2f h <= FIFO %.2f h\n",
                Mark(c->big_avg_wait_h <= fifo->big_avg_wait_h), c->big_avg_wait_h,
                fifo->big_avg_wait_h);
  }
  if (c)
    std::printf("  %s corral GPU allocation while jobs wait %.1f%% >= 98%%\n",
                Mark(c->allocated_while_queued >= 0.98), 100 * c->allocated_while_queued);
  if (c)
    std::printf(
        "  %s corral GPU allocation while a waiting gang fits in the free GPUs %.1f%% >= 98%% "
        "(%.1f%% of the waiting time)\n",
        Mark(c->allocated_while_fit >= 0.98), 100 * c->allocated_while_fit, 100 * c->fit_share);
  if (c)
    std::printf(
        "  %s corral GPU allocation while jobs wait, idle GPUs counted only while a waiting gang "
        "fits in them, %.2f%% >= 98%%\n",
        Mark(c->allocated_where_fit >= 0.98), 100 * c->allocated_where_fit);
  if (c && easy)
    std::printf("  %s corral worst tenant avg wait %.2f h <= EASY %.2f h\n",
                Mark(c->worst_tenant_wait_h <= easy->worst_tenant_wait_h), c->worst_tenant_wait_h,
                easy->worst_tenant_wait_h);
  if (const Summary* p = find("corral+preempt"); p && c) {
    double gain = p->avg_jct_h > 0 ? c->avg_jct_h / p->avg_jct_h : 0;
    std::printf("  %s preemption: avg JCT %.2f h -> %.2f h (%.2fx lower, target >= 1.3x)\n",
                Mark(gain >= 1.3), c->avg_jct_h, p->avg_jct_h, gain);
    std::printf(
        "  %s preemption: %.2f%% of GPU-time lost (%d preemptions, checkpoint cost %.0f s)"
        " <= 5%%\n",
        Mark(p->lost_fraction <= 0.05), 100 * p->lost_fraction, p->preemptions,
        f.checkpoint_cost_s);
  }
  if (const Summary* fl = find("corral+filler"); fl && c) {
    double rise = c->avg_jct_h > 0 ? fl->avg_jct_h / c->avg_jct_h - 1 : 0;
    std::printf("  %s filler: overall allocation %.1f%% >= 95%%\n", Mark(fl->allocation >= 0.95),
                100 * fl->allocation);
    std::printf("  %s filler: normal jobs' avg JCT %.2f h vs %.2f h (%+.1f%%, target <= +5%%)\n",
                Mark(rise <= 0.05), fl->avg_jct_h, c->avg_jct_h, 100 * rise);
  }
  for (const char* n : {"corral+filler+interactive", "corral+interactive"}) {
    if (const Summary* in = find(n)) {
      std::printf(
          "  %s %s: p95 start latency %.1f s (max %.1f s) of %d requests injected at >= "
          "90%% allocation <= 60 s\n",
          Mark(in->interactive > 0 && in->interactive_p95_s <= 60), n, in->interactive_p95_s,
          in->interactive_max_s, in->interactive);
      std::printf("  %s %s: non-opportunistic jobs preempted for interactive work: %d\n",
                  Mark(in->preempted_non_filler_for_interactive == 0), n,
                  in->preempted_non_filler_for_interactive);
    }
  }
  return 0;
}

}  // namespace corral::sim
