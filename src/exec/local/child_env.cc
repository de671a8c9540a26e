#include "exec/local/child_env.h"

#include <cstdlib>

namespace corral::exec {

std::vector<std::string> DefaultInheritedEnvNames() {
  return {"PATH",     "HOME",   "USER",     "LOGNAME", "SHELL",  "LANG",
          "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ",      "TMPDIR", "LD_LIBRARY_PATH"};
}

std::map<std::string, std::string> CaptureInheritedEnv(const std::vector<std::string>& names) {
  std::map<std::string, std::string> env;
  for (const std::string& name : names) {
    if (const char* value = std::getenv(name.c_str())) env[name] = value;
  }
  env.emplace("PATH", "/usr/local/bin:/usr/bin:/bin");
  return env;
}

std::vector<std::string> BuildChildEnv(const std::map<std::string, std::string>& inherited,
                                       const LaunchSpec& spec, const ReplicaLaunch& replica) {
  std::map<std::string, std::string> env = inherited;
  if (spec.run_as) {
    if (!spec.run_as->home.empty()) env["HOME"] = spec.run_as->home;
    if (!spec.run_as->shell.empty()) env["SHELL"] = spec.run_as->shell;
  }
  for (const auto& [k, v] : spec.env) env[k] = v;
  for (const auto& [k, v] : replica.env) env[k] = v;
  // Who the job is cannot be overridden by its spec.
  if (spec.run_as) {
    env["USER"] = spec.run_as->name;
    env["LOGNAME"] = spec.run_as->name;
  }

  std::string devices;
  for (size_t i = 0; i < replica.gpus.size(); ++i) {
    if (i > 0) devices += ',';
    devices += std::to_string(replica.gpus[i]);
  }
  // An empty CUDA_VISIBLE_DEVICES hides every device from CUDA (unset would expose all of them);
  // "none" is the NVIDIA container runtime's word for the same.
  env["CUDA_VISIBLE_DEVICES"] = devices;
  env["NVIDIA_VISIBLE_DEVICES"] = devices.empty() ? "none" : devices;
  env["CORRAL_JOB_ID"] = std::to_string(spec.job.value);
  env["CORRAL_ATTEMPT"] = std::to_string(spec.attempt);
  env["CORRAL_REPLICA"] = std::to_string(replica.index);
  env["CORRAL_REPLICAS"] = std::to_string(spec.replicas.size());
  env["CORRAL_NODE"] = replica.node;

  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

}  // namespace corral::exec
