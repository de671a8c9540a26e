#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

#include "common/status.h"

namespace corral::workflow {

// A loop's items become nodes, each kept in memory and in the store: a bound keeps one spec (or
// one step's output fed to withParam) from taking the server down.
inline constexpr int64_t kMaxLoopItems = 100000;

// Checks the loop of a step or task as submitted, before anything runs: the parts of
// withItems / withParam / withSequence that are literal (no `{{...}}` tag) must be well formed
// and within kMaxLoopItems; what depends on parameters or outputs is left to ExpandItems when
// the step is reached. A failure names the field relative to the step ("withSequence.count").
Status CheckLoopAsSubmitted(const nlohmann::json& step);

}  // namespace corral::workflow
