#include "sim/metrics.h"

#include <algorithm>
#include <map>
#include <vector>

namespace corral::sim {
namespace {

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

double Mean(const std::vector<double>& v) {
  if (v.empty()) return 0;
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

}  // namespace

Summary Summarize(const std::string& policy, const SimResult& r) {
  Summary s;
  s.policy = policy;
  std::vector<double> jct, wait, big_wait, interactive;
  std::map<std::string, std::vector<double>> tenant_wait;
  double trace_gpu_s = 0;
  for (const auto& j : r.jobs) {
    if (j.kind == JobKind::kInteractive) {
      if (j.allocation_at_submit >= 0.9 && j.first_start_s >= 0)
        interactive.push_back(j.first_start_s - j.submit_s);
      continue;
    }
    if (j.first_start_s < 0 || j.end_s < 0) {
      ++s.never_started;
      continue;
    }
    ++s.jobs;
    const double w = (j.first_start_s - j.submit_s) / 3600.0;
    jct.push_back((j.end_s - j.submit_s) / 3600.0);
    wait.push_back(w);
    if (j.gpus >= 8) big_wait.push_back(w);
    tenant_wait[j.tenant].push_back(w);
    trace_gpu_s += j.gpus * j.duration_s;
  }
  s.avg_jct_h = Mean(jct);
  s.median_jct_h = Percentile(jct, 0.5);
  s.p95_jct_h = Percentile(jct, 0.95);
  s.avg_wait_h = Mean(wait);
  s.max_wait_h = wait.empty() ? 0 : *std::max_element(wait.begin(), wait.end());
  s.big_avg_wait_h = Mean(big_wait);
  if (r.queued_s > 0)
    s.allocated_while_queued = r.allocated_while_queued_gpu_s / (r.queued_s * r.total_gpus);
  if (r.queued_fit_s > 0)
    s.allocated_while_fit = r.allocated_while_queued_fit_gpu_s / (r.queued_fit_s * r.total_gpus);
  if (r.queued_s > 0) s.fit_share = r.queued_fit_s / r.queued_s;
  s.allocated_where_fit = 1 - s.fit_share * (1 - s.allocated_while_fit);
  if (r.span_s > 0) {
    s.allocation = r.allocated_gpu_s / (r.span_s * r.total_gpus);
    s.utilisation = trace_gpu_s / (r.span_s * r.total_gpus);
  }
  bool first = true;
  for (const auto& [tenant, waits] : tenant_wait) {
    double m = Mean(waits);
    if (first || m > s.worst_tenant_wait_h) {
      s.worst_tenant_wait_h = m;
      s.worst_tenant = tenant;
    }
    if (first || m < s.best_tenant_wait_h) {
      s.best_tenant_wait_h = m;
      s.best_tenant = tenant;
    }
    first = false;
  }
  s.preemptions = r.preemptions;
  if (r.allocated_gpu_s > 0) s.lost_fraction = r.lost_gpu_s / r.allocated_gpu_s;
  s.preempted_non_filler_for_interactive = r.preempted_non_filler_for_interactive;
  s.interactive = static_cast<int>(interactive.size());
  s.interactive_p95_s = Percentile(interactive, 0.95);
  s.interactive_max_s =
      interactive.empty() ? 0 : *std::max_element(interactive.begin(), interactive.end());
  s.wall_s = r.wall_s;
  return s;
}

}  // namespace corral::sim
