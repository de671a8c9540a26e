#include "sched/pending_reason.h"

#include <chrono>
#include <cstdio>

namespace corral::sched {

std::string DescribeShape(const JobRequest& job) {
  const int per = job.per_replica.gpus;
  if (per == 0) return "CPU/memory room for " + std::to_string(job.replicas) + " replica(s)";
  if (job.replicas == 1)
    return std::to_string(per) + (per == 1 ? " GPU" : " GPUs") + " on one node";
  return std::to_string(job.total_gpus()) + " GPUs as " + std::to_string(job.replicas) +
         " replicas of " + std::to_string(per);
}

std::string FormatClockTime(TimePoint t, TimePoint now) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const hh_mm_ss<milliseconds> hms(t - day);
  char buf[64];
  if (t - now >= hours(20) || t < now) {
    const year_month_day ymd(day);
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02ld:%02ld UTC", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()));
  } else {
    std::snprintf(buf, sizeof buf, "%02ld:%02ld UTC", static_cast<long>(hms.hours().count()),
                  static_cast<long>(hms.minutes().count()));
  }
  return buf;
}

std::string DescribeWait(const JobRequest& job, const WaitState& wait, TimePoint now) {
  switch (wait.cause) {
    case WaitCause::kNotYetConsidered:
      return "submitted; waiting for the next scheduling pass";
    case WaitCause::kQueueAtLimit:
      return "queue " + job.queue + " at its limit of " + std::to_string(wait.count) + " GPUs";
    case WaitCause::kReserved:
      return "waiting for " + DescribeShape(job) + "; reserved for " +
             FormatClockTime(wait.at, now);
    case WaitCause::kNoRoom:
      return "waiting for " + DescribeShape(job) + "; job " + std::to_string(wait.other.value) +
             " ahead of it holds the reservation (from " + FormatClockTime(wait.at, now) + ")";
    case WaitCause::kNoRoomUnreserved:
      return "waiting for " + DescribeShape(job);
    case WaitCause::kDrainingVictims:
      return "starting on " + DescribeShape(job) + " once " + std::to_string(wait.count) +
             (wait.count == 1 ? " preempted job stops" : " preempted jobs stop") + " (by " +
             FormatClockTime(wait.at, now) + ")";
    case WaitCause::kKeptForLargeJob:
      return "waiting for " + DescribeShape(job) +
             "; the free GPUs are on nodes about to be free for a job of 8 or more GPUs, which "
             "it would hold up";
  }
  return {};
}

}  // namespace corral::sched
