#include "metrics/control_loop_stats.h"

namespace corral::metrics {

void ControlLoopStats::RecordTask(const char* name, double wait_seconds, double run_seconds) {
  std::vector<std::string> key{name};
  wait_.Observe(key, wait_seconds);
  run_.Observe(key, run_seconds);
}

void ControlLoopStats::Collect(std::vector<Family>& out) const {
  Family wait("corral_control_task_wait_seconds",
              "Time a task posted to the control thread waited before it ran, by task name.",
              MetricType::kHistogram);
  wait_.Collect(wait);
  Family run("corral_control_task_run_seconds",
             "Time a control-thread task ran, by task name (scheduling passes and commits "
             "included).",
             MetricType::kHistogram);
  run_.Collect(run);
  Family queued("corral_control_queue_tasks", "Tasks posted to the control thread and not yet run.",
                MetricType::kGauge);
  queued.Add({}, static_cast<double>(queued_.load(std::memory_order_relaxed)));
  Family pass("corral_scheduling_pass_duration_seconds",
              "Duration of scheduling passes that had something to decide (decisions applied "
              "included).",
              MetricType::kHistogram);
  pass.AddHistogram({}, pass_.Snapshot());
  Family commit("corral_store_commit_duration_seconds",
                "Duration of store group commits (SQLite commit with fsync).",
                MetricType::kHistogram);
  commit.AddHistogram({}, commit_.Snapshot());
  out.push_back(std::move(wait));
  out.push_back(std::move(run));
  out.push_back(std::move(queued));
  out.push_back(std::move(pass));
  out.push_back(std::move(commit));
}

}  // namespace corral::metrics
