#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/result.h"

namespace corral::train {

// A Kubeflow PyTorchJob (kubeflow.org/v1) read as a Corral job.
struct TrainingJob {
  nlohmann::json job;                 // a body for POST /api/v1/jobs (validated there)
  std::vector<std::string> warnings;  // Kubernetes-only fields that were ignored, by path
  std::string container_path;         // the container whose command the job runs

  // An error found in `job` named at the PyTorchJob field it came from ("labels.k" ->
  // "metadata.labels.k", "workdir" -> "<container>.workingDir"); other errors as they are.
  Status AtPyTorchJobField(const Status& job_error) const;
};

// Whether a request body is a PyTorchJob (its `kind`).
bool IsPyTorchJob(const nlohmann::json& body);

// Maps Master + Worker replica specs to one gang of N replicas x G GPUs (Master first, rank 0):
//   command + args        -> command (Master's; every Worker must run the same)
//   env (name/value)      -> env
//   resources.limits      -> resources: nvidia.com/gpu, cpu ("500m" rounds up), memory ("8Gi")
//   workingDir            -> workdir
//   runPolicy.backoffLimit + restartPolicy -> retry.max_retries (Never: none) and, for
//                            ExitCode, retry.exit_codes "128-255" (only those are retried)
//   runPolicy.activeDeadlineSeconds -> time_limit_s
//   runPolicy.schedulingPolicy.queue / priorityClass -> queue / priority
//   elasticPolicy         -> torchrun's elastic rendezvous (PET_NNODES=min:max, PET_RDZV_*)
//   nprocPerNode          -> PET_NPROC_PER_NODE
//   metadata.name / labels -> name / labels
// Fields that only mean something to Kubernetes (image, volumes, nodeSelector, ...) are ignored
// with a warning naming each; any other field is an error naming its path.
Result<TrainingJob> FromPyTorchJob(const nlohmann::json& body);

}  // namespace corral::train
