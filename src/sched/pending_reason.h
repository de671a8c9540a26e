#pragma once

#include <string>

#include "common/clock.h"
#include "common/ids.h"
#include "sched/types.h"

namespace corral::sched {

// Why a pending job has not started, recorded cheaply during a pass and put into words only
// when someone asks.
enum class WaitCause {
  kNotYetConsidered,  // submitted since the last pass
  kQueueAtLimit,      // its queue holds `limit` GPUs, its maximum
  kReserved,          // it heads the order; GPUs are reserved for it from `at`
  kNoRoom,            // not enough free GPUs of the right shape; another job holds the reservation
  kNoRoomUnreserved,  // not enough free GPUs of the right shape
  kDrainingVictims,   // preemptions issued; it starts when `count` jobs have stopped
  kKeptForLargeJob,   // the free GPUs that fit it are on nodes about to be free for a large gang
};

struct WaitState {
  WaitCause cause = WaitCause::kNotYetConsidered;
  int count = 0;   // queue limit / number of victims
  TimePoint at{};  // reservation start / when the victims' grace ends
  JobId other;     // the job holding the reservation
};

// "8 GPUs on one node", "16 GPUs as 2 replicas of 8".
std::string DescribeShape(const JobRequest& job);

// "waiting for 8 GPUs on one node; reserved for 14:20 UTC", "queue team-a at its limit of 16 GPUs".
std::string DescribeWait(const JobRequest& job, const WaitState& wait, TimePoint now);

// "14:20 UTC", with the date when it is not within the next day.
std::string FormatClockTime(TimePoint t, TimePoint now);

}  // namespace corral::sched
