#pragma once

#include <map>
#include <string>
#include <vector>

#include "exec/executor.h"

namespace corral::exec {

// Variables taken from the server's own environment by default: enough for a sane shell, no more.
std::vector<std::string> DefaultInheritedEnvNames();

// Picks `names` out of the current process environment (PATH gets a default when unset).
std::map<std::string, std::string> CaptureInheritedEnv(const std::vector<std::string>& names);

// The environment of one replica, in increasing precedence: inherited, spec.env, replica env,
// then the variables the executor owns (CORRAL_*, CUDA_VISIBLE_DEVICES, NVIDIA_VISIBLE_DEVICES),
// which a spec cannot override. Returned as "NAME=value" strings.
std::vector<std::string> BuildChildEnv(const std::map<std::string, std::string>& inherited,
                                       const LaunchSpec& spec, const ReplicaLaunch& replica);

}  // namespace corral::exec
