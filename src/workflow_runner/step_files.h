#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "model/job.h"
#include "workflow/engine.h"
#include "workflow_runner/image_map.h"

namespace corral::workflow_runner {

struct StepSandbox {
  std::string bwrap;         // path of bubblewrap; "" runs steps without a private /tmp
  std::string steps_root;    // every step's directory lives below it
  std::string artifact_dir;  // the artifact store: keys are paths below it
  // bwrap arguments that rebuild the host's top-level directories over a private, writable
  // root (RootBindArgs): a step may write /output or /result.txt as it would in its image.
  std::vector<std::string> root_binds;
  // The account the step runs as, when it is not this server's: its directory is handed over.
  std::optional<std::pair<uint32_t, uint32_t>> owner;
};

// Prepares a Pod node's private directory (tmp/, work/, out/, its script and its wrapper) and
// returns the job that runs it. The wrapper stages input artifacts, runs the container(s) with
// stdout also copied to a file, then copies output parameter files and output artifacts out of
// the step's private view, so that they can be read after it exits.
//
// With bubblewrap, the step sees its own tmp/ as /tmp; without it, TMPDIR points there and
// absolute /tmp paths are shared between steps.
Result<JobSpec> PrepareStep(const workflow::PodRequest& pod, const std::string& step_dir,
                            const ImageMap& images, const StepSandbox& sandbox);

// What a finished step left: stdout (its last 256 kB), output parameters, saved artifacts and the
// exit codes of its containers.
workflow::PodExit ReadStepExit(const std::string& step_dir, int exit_code);

// Whether bubblewrap can make a private /tmp here (it needs user namespaces or root).
std::string ProbeBubblewrap();

// `--dev-bind /x /x` for each top-level directory of the host but /tmp, `--symlink` for links.
std::vector<std::string> RootBindArgs();

}  // namespace corral::workflow_runner
