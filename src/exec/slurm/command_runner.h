#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace corral::exec::slurm {

struct CommandOutput {
  int exit_code = 0;  // 128+signal when the command was killed
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] looked up in PATH) with exactly `env`, stdin from `input`, and collects
// its output. The command is killed when it runs longer than `timeout`. Only a command that could
// not be started, or one that timed out, is an error; a non-zero exit is in the output.
Result<CommandOutput> RunCommand(const std::vector<std::string>& argv,
                                 const std::map<std::string, std::string>& env,
                                 const std::string& input, Duration timeout);

}  // namespace corral::exec::slurm
