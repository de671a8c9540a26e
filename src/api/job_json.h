#pragma once

#include <nlohmann/json.hpp>

#include "common/result.h"
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
std::string NodesJsonText(const std::vector<jobs::NodeView>& nodes, const jobs::Caller& viewer);

}  // namespace corral::api
