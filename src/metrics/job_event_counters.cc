#include "metrics/job_event_counters.h"

#include <string>

namespace corral::metrics {

JobEventCounters::JobEventCounters() {
  for (auto kind : {jobs::JobEventKind::kSucceeded, jobs::JobEventKind::kFailed,
                    jobs::JobEventKind::kCancelled})
    finished_.Touch({std::string(jobs::JobEventKindName(kind))});
}

void JobEventCounters::OnJobEvent(const jobs::JobEvent& event) {
  using K = jobs::JobEventKind;
  switch (event.kind) {
    case K::kSubmitted:
      ++submitted_;
      break;
    case K::kStarted:
      ++started_;
      break;
    case K::kPreempted:
      ++preempted_;
      break;
    case K::kRetrying:
      ++retried_;
      break;
    case K::kSucceeded:
    case K::kFailed:
    case K::kCancelled:
      finished_.Add({std::string(jobs::JobEventKindName(event.kind))});
      break;
    default:
      break;
  }
}

void JobEventCounters::Collect(std::vector<Family>& out) const {
  auto counter = [&out](const char* name, const char* help, uint64_t v) {
    Family f(name, help, MetricType::kCounter);
    f.Add({}, static_cast<double>(v));
    out.push_back(std::move(f));
  };
  counter("corral_jobs_submitted_total", "Jobs accepted since the server started.",
          submitted_.load());
  counter("corral_jobs_started_total",
          "Job attempts whose every replica started, since the server started.", started_.load());
  Family finished("corral_jobs_finished_total",
                  "Jobs that ended since the server started, by outcome (succeeded, failed, "
                  "cancelled).",
                  MetricType::kCounter);
  finished_.Collect(finished);
  out.push_back(std::move(finished));
  counter("corral_jobs_preempted_total",
          "Attempts ended by preemption or by the loss of their node, since the server started.",
          preempted_.load());
  counter("corral_jobs_retried_total",
          "Failed attempts retried under the job's retry policy, since the server started.",
          retried_.load());
}

}  // namespace corral::metrics
