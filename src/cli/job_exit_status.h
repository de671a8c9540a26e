#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace corral::cli {

// How a job ended, as far as its exit status is concerned.
struct JobOutcome {
  std::string state;             // "succeeded", "failed", "cancelled", ...
  std::optional<int> exit_code;  // the process's exit code, when it exited normally
  std::optional<int> signal;     // the signal that killed it, when it was killed
};

// Reads the outcome from a job object: the job's exit_code, else the latest attempt's first
// replica that exited non-zero or was killed by a signal.
JobOutcome OutcomeFromJob(const nlohmann::json& job);

// Reads the outcome from the data of a logs stream's `end` event ({"state", "exit_code"}).
JobOutcome OutcomeFromEndEvent(const nlohmann::json& data);

// The status `corral run --follow` exits with, in the shell's habit:
//   succeeded                    -> 0
//   cancelled                    -> 130 (as for an interrupted command)
//   exited with code N != 0      -> N (taken modulo 256 like a shell)
//   killed by signal S           -> 128 + S
//   failed any other way         -> 1 (lost node, failed to start, a zero code on a failed job)
int JobExitStatus(const JobOutcome& outcome);

}  // namespace corral::cli
