#include "exec/local/replica_layout.h"

namespace corral::exec {

std::string AttemptDir(const std::string& root, JobId job, int attempt) {
  return root + "/jobs/" + std::to_string(job.value) + "/" + std::to_string(attempt);
}

std::string ReplicaDir(const std::string& root, const ReplicaRef& ref) {
  return AttemptDir(root, ref.job, ref.attempt) + "/" + std::to_string(ref.replica);
}

}  // namespace corral::exec
