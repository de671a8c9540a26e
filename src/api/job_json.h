#pragma once

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "gpu/sample_cache.h"
#include "jobs/job_controller.h"
#include "model/job.h"

namespace corral::api {

// Wire format of jobs (docs/api.md). Parsing validates every field and names the one at fault.
Result<JobSpec> ParseJobSpec(const nlohmann::json& body);
nlohmann::json JobSpecToJson(const JobSpec& spec);
nlohmann::json JobToJson(const Job& job);
// The body of GET /nodes, written straight to text (1,000 nodes of 8 GPUs are 8,000 objects, a
// tree of which costs several times the writing). `viewer` sees which user holds each GPU, but the
// job's id only for its own jobs (all for admins).
//
// Each GPU carries `utilization_pct` and `memory_used_mb`: for a real GPU of `local_node`, the
// latest cached NVML sample (`sampled_at` says when), null without one; a simulated GPU has no
// hardware and reports 100 while a job holds it and 0 otherwise, no memory in use, and its
// `simulated: true` says so (as /metrics does).
std::string NodesJsonText(const std::vector<jobs::NodeView>& nodes, const jobs::Caller& viewer,
                          const std::string& local_node = "",
                          const gpu::GpuSampleCache::Snapshot* local_samples = nullptr);

}  // namespace corral::api
