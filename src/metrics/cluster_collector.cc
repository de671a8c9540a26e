#include "metrics/cluster_collector.h"

#include <string>

namespace corral::metrics {
namespace {

constexpr PriorityClass kPriorities[] = {PriorityClass::kInteractive, PriorityClass::kHigh,
                                         PriorityClass::kNormal, PriorityClass::kOpportunistic};
constexpr JobState kStates[] = {JobState::kPending,   JobState::kStarting,  JobState::kRunning,
                                JobState::kPreempted, JobState::kSucceeded, JobState::kFailed,
                                JobState::kCancelled};

std::string Str(std::string_view s) { return std::string(s); }
const char* Bool(bool b) { return b ? "true" : "false"; }
constexpr double kBytesPerMb = 1024.0 * 1024.0;

void AppendNodeFamilies(const ClusterSnapshot& snap, std::vector<Family>& out) {
  Family up("corral_node_up", "1 while the node is up and may run jobs.", MetricType::kGauge);
  Family total("corral_node_gpus", "GPUs on the node (its capacity, up or down).",
               MetricType::kGauge);
  Family allocated("corral_node_gpus_allocated",
                   "GPUs of the node held by starting or running jobs.", MetricType::kGauge);
  Family idle("corral_node_gpus_idle", "GPUs of an up node that no job holds.", MetricType::kGauge);
  Family gpu_allocated(
      "corral_gpu_allocated",
      "1 while a starting or running job holds the GPU; `user` is the job's owner.",
      MetricType::kGauge);
  Family util("corral_gpu_utilization_ratio",
              "GPU busy fraction over NVML's last sample period (0-1). Simulated GPUs: 1 while "
              "allocated, else 0.",
              MetricType::kGauge);
  Family mem_used("corral_gpu_memory_used_bytes",
                  "GPU memory in use (NVML). Simulated GPUs report 0.", MetricType::kGauge);
  Family mem_total("corral_gpu_memory_total_bytes", "GPU memory size.", MetricType::kGauge);
  Family temp("corral_gpu_temperature_celsius", "GPU temperature (NVML; real GPUs only).",
              MetricType::kGauge);
  Family power("corral_gpu_power_watts", "GPU power draw (NVML; real GPUs only).",
               MetricType::kGauge);

  for (const auto& node : snap.nodes) {
    int held = 0;
    for (const auto& g : node.gpus) held += g.job ? 1 : 0;
    const std::string sim = Bool(node.simulated);
    up.Add({{"node", node.name}}, node.up ? 1 : 0);
    total.Add({{"node", node.name}, {"simulated", sim}}, static_cast<double>(node.gpus.size()));
    allocated.Add({{"node", node.name}}, held);
    idle.Add({{"node", node.name}}, node.up ? static_cast<double>(node.gpus.size()) - held : 0.0);
    for (const auto& g : node.gpus) {
      const auto& d = g.device;
      const bool simulated = node.simulated || d.simulated;
      Labels labels{{"node", node.name},
                    {"gpu", std::to_string(d.index)},
                    {"uuid", d.uuid},
                    {"model", d.model},
                    {"simulated", Bool(simulated)}};
      Labels with_user = labels;
      with_user.emplace_back("user", g.job ? g.user : "");
      gpu_allocated.Add(with_user, g.job ? 1 : 0);
      mem_total.Add(labels, static_cast<double>(d.memory_mb) * kBytesPerMb);
      if (simulated) {
        util.Add(labels, g.job ? 1 : 0);
        mem_used.Add(labels, 0);
        continue;
      }
      const gpu::GpuSample* sample = nullptr;
      if (node.name != snap.local_node) continue;
      for (const auto& s : snap.local_samples)
        if (s.index == d.index) sample = &s;
      if (!sample) continue;
      if (sample->utilization_pct >= 0) util.Add(labels, sample->utilization_pct / 100.0);
      if (sample->memory_used_mb >= 0)
        mem_used.Add(labels, static_cast<double>(sample->memory_used_mb) * kBytesPerMb);
      if (sample->temperature_c >= 0) temp.Add(labels, sample->temperature_c);
      if (sample->power_mw >= 0) power.Add(labels, sample->power_mw / 1000.0);
    }
  }
  for (auto* f : {&up, &total, &allocated, &idle, &gpu_allocated, &util, &mem_used, &mem_total,
                  &temp, &power})
    out.push_back(std::move(*f));
}

void AppendQueueFamilies(const ClusterSnapshot& snap, std::vector<Family>& out) {
  Family pending("corral_queue_pending_jobs",
                 "Jobs waiting in the queue (pending or preempted and about to requeue), by "
                 "priority class.",
                 MetricType::kGauge);
  Family pending_gpus("corral_queue_pending_gpus",
                      "GPUs the queue's waiting jobs ask for, by priority class.",
                      MetricType::kGauge);
  Family running("corral_queue_running_jobs", "Starting or running jobs of the queue.",
                 MetricType::kGauge);
  Family allocated("corral_queue_gpus_allocated",
                   "GPUs held by the queue's starting or running jobs.", MetricType::kGauge);
  Family guaranteed("corral_queue_gpus_guaranteed", "GPUs guaranteed to the queue.",
                    MetricType::kGauge);
  Family limit("corral_queue_gpus_limit",
               "Most GPUs the queue may hold, borrowing included (absent: no limit).",
               MetricType::kGauge);
  Family idle("corral_queue_gpus_guaranteed_idle",
              "Guaranteed GPUs the queue does not use now (lent to others or idle).",
              MetricType::kGauge);

  std::map<std::pair<std::string, PriorityClass>, std::pair<int64_t, int64_t>> waiting;
  for (const auto& q : snap.queues)
    for (PriorityClass p : kPriorities) waiting[{q.config.name, p}];
  for (const auto& c : snap.active) {
    if (c.state != JobState::kPending && c.state != JobState::kPreempted) continue;
    auto& w = waiting[{c.queue, c.priority}];
    w.first += c.jobs;
    w.second += c.gpus;
  }
  for (const auto& [key, w] : waiting) {
    Labels labels{{"queue", key.first}, {"priority", Str(PriorityClassName(key.second))}};
    pending.Add(labels, static_cast<double>(w.first));
    pending_gpus.Add(labels, static_cast<double>(w.second));
  }
  for (const auto& q : snap.queues) {
    Labels labels{{"queue", q.config.name}};
    running.Add(labels, q.running_jobs);
    allocated.Add(labels, q.gpus_in_use);
    guaranteed.Add(labels, q.config.guaranteed_gpus);
    if (q.config.max_gpus >= 0) limit.Add(labels, q.config.max_gpus);
    idle.Add(labels, std::max(0, q.config.guaranteed_gpus - q.gpus_in_use));
  }
  for (auto* f : {&pending, &pending_gpus, &running, &allocated, &guaranteed, &limit, &idle})
    out.push_back(std::move(*f));
}

void AppendJobFamilies(const ClusterSnapshot& snap, std::vector<Family>& out) {
  Family jobs("corral_jobs",
              "Jobs by state: active states live from the control thread, ended states as "
              "committed to the store.",
              MetricType::kGauge);
  std::map<JobState, int64_t> by_state;
  for (JobState s : kStates) by_state[s] = 0;
  for (const auto& c : snap.active) by_state[c.state] += c.jobs;
  for (const auto& [state, n] : snap.stored_by_state)
    if (IsTerminal(state)) by_state[state] = n;
  for (const auto& [state, n] : by_state)
    jobs.Add({{"state", Str(JobStateName(state))}}, static_cast<double>(n));
  out.push_back(std::move(jobs));
}

}  // namespace

void AppendClusterFamilies(const ClusterSnapshot& snapshot, std::vector<Family>& out) {
  AppendNodeFamilies(snapshot, out);
  AppendQueueFamilies(snapshot, out);
  AppendJobFamilies(snapshot, out);
}

}  // namespace corral::metrics
