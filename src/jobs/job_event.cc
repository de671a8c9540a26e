#include "jobs/job_event.h"

namespace corral::jobs {

std::string_view JobEventKindName(JobEventKind kind) {
  switch (kind) {
    case JobEventKind::kSubmitted:
      return "submitted";
    case JobEventKind::kScheduled:
      return "scheduled";
    case JobEventKind::kReplicaQueued:
      return "replica_queued";
    case JobEventKind::kReplicaStarted:
      return "replica_started";
    case JobEventKind::kStarted:
      return "started";
    case JobEventKind::kPreempting:
      return "preempting";
    case JobEventKind::kPreempted:
      return "preempted";
    case JobEventKind::kRequeued:
      return "requeued";
    case JobEventKind::kRetrying:
      return "retrying";
    case JobEventKind::kCancelRequested:
      return "cancel_requested";
    case JobEventKind::kLogTruncated:
      return "log_truncated";
    case JobEventKind::kSucceeded:
      return "succeeded";
    case JobEventKind::kFailed:
      return "failed";
    case JobEventKind::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

}  // namespace corral::jobs
