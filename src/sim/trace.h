#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace corral::sim {

// One job of a trace CSV: job_id,submit_s,duration_s,gpus,user[,...]. Extra columns are ignored
// except `vc`, which names the tenant when present (the Philly trace has user = vc).
struct TraceJob {
  int64_t id = 0;
  double submit_s = 0;
  double duration_s = 0;
  int gpus = 0;
  std::string tenant;
  std::string user;
};

// The tenant (queue) of jobs whose trace row names none: an empty user (and vc) cell. Real traces
// have such rows; they are replayed as one tenant of their own under this name.
inline constexpr char kUnnamedTenant[] = "(no tenant)";

struct TraceWindow {
  std::optional<double> from_s;  // submit_s >= from
  std::optional<double> to_s;    // submit_s < to
};

// Reads a trace, keeping rows in the window, sorted by submission. Errors name the line.
Result<std::vector<TraceJob>> LoadTrace(const std::string& path, const TraceWindow& window);
// The same from a stream; `path` names it in errors.
Result<std::vector<TraceJob>> ParseTrace(std::istream& in, const std::string& path,
                                         const TraceWindow& window);

// A fixed integer mix (the splitmix64 finaliser): picks that do not depend on the platform.
uint64_t MixBits(uint64_t x);

// Gives each job one of `per_tenant` synthetic users of its tenant (the Philly trace has no
// per-person id). Deterministic: a hash of the job id picks the user.
void SynthesiseUsers(std::vector<TraceJob>& jobs, int per_tenant);

}  // namespace corral::sim
