#pragma once

#include <memory>

#include "sched/scheduler.h"

namespace corral::sim {

// Reference policies the default scheduler is judged against, behind the same interface and using
// the same gang placement (best-fit packing), so only the ordering/backfill rule differs:
//  - kFifo: in submission order; stop at the first job that does not fit.
//  - kGreedy: in submission order; start every job that fits.
//  - kEasy: FIFO plus EASY backfill: the first job that does not fit gets a reservation from the
//    running jobs' time limits; later jobs start only if they do not delay it.
enum class BaselinePolicy { kFifo, kGreedy, kEasy };

std::unique_ptr<sched::Scheduler> MakeBaselineScheduler(BaselinePolicy policy);

}  // namespace corral::sim
