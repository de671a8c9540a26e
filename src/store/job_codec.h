#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/job.h"

// JSON encoding of the parts of a job that live in TEXT columns. Private to store/: the rest of
// the system sees only model/ types.
namespace corral::store {

std::string EncodeJobSpec(const JobSpec& spec);
Result<JobSpec> DecodeJobSpec(std::string_view json);

// An empty history encodes as "" (stored as NULL), so a job that never started costs no JSON.
std::string EncodeAttempts(const std::vector<Attempt>& attempts);
Result<std::vector<Attempt>> DecodeAttempts(std::string_view json);

}  // namespace corral::store
