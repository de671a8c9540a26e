#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/client_config.h"
#include "common/result.h"

namespace corral::cli {

// What `corral run` was given on its command line. Unset optionals and empty strings are left
// out of the request so the server's documented defaults apply.
struct RunFlags {
  std::optional<int> gpus;
  std::optional<int> replicas;
  std::optional<int> cpus;
  std::optional<int64_t> memory_mb;
  std::string name;
  std::vector<std::string> env;  // "K=V", or "K" to pass on this shell's value of K
  std::string workdir;           // already absolute; the caller defaults it to the cwd
  std::string priority;
  std::string queue;
  std::string time_limit;  // "90s", "10m", "2h", ...
  std::optional<int> retries;
  std::vector<std::string> labels;  // "K=V"
  bool preemptible = false;
  std::vector<std::string> command;   // argv of the job
  std::optional<std::string> script;  // shell script text (from --script FILE)
};

// Splits "K=V" at the first '='. The key must be non-empty; `flag` names the option in errors.
Result<std::pair<std::string, std::string>> ParseKeyValue(std::string_view text,
                                                          std::string_view flag);

// The POST /api/v1/jobs body for `corral run`. Usage errors (no command, both a command and a
// script, a bad duration, an --env name that is not set) are kInvalidArgument naming the flag.
Result<nlohmann::json> BuildJobRequest(const RunFlags& flags, const EnvLookup& env);

// Content type for a spec file sent verbatim: by extension (.json, .yaml, .yml), else by whether
// the text starts with '{' after whitespace.
std::string SpecFileContentType(std::string_view path, std::string_view text);

}  // namespace corral::cli
