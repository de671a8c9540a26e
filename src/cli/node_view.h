#pragma once

#include <nlohmann/json.hpp>

#include <ostream>

namespace corral::cli {

// `corral nodes`: one row per GPU (NODE GPU MODEL MEMORY STATE JOB USER SIMULATED), then a
// summary line of used and free GPUs that also says how many are simulated. Takes the reply of
// GET /api/v1/nodes.
void RenderNodeTable(const nlohmann::json& reply, std::ostream& out);

// "80GiB" for 81920, "1500MiB" when not a whole number of GiB, "-" for 0 or unknown.
std::string FormatMemoryMb(int64_t megabytes);

}  // namespace corral::cli
