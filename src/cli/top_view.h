#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "common/clock.h"

namespace corral::cli {

// GPU utilisation (0-1) by (node, device index), read from the corral_gpu_utilization_ratio
// series of a /metrics exposition. Lines it cannot read are skipped.
using GpuUtilization = std::map<std::pair<std::string, int>, double>;
GpuUtilization ParseGpuUtilization(std::string_view metrics_text);

// What `corral top` shows, from the replies of GET /nodes, GET /queues and GET /jobs (running
// jobs): a cluster line, one bar per node, every GPU with its job, user and utilisation (when
// known), the queues, and the running jobs.
struct TopInput {
  nlohmann::json nodes;
  nlohmann::json queues;
  nlohmann::json running;
  GpuUtilization utilization;
  bool utilization_known = false;
};
void RenderTop(const TopInput& input, TimePoint now, std::ostream& out);

}  // namespace corral::cli
