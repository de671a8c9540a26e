// YAML request bodies: the body parser (aliases, depth, size), then the experiment spec readers
// (native and Katib) and the job spec reader on what it accepts.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/job_json.h"
#include "api/json_reader.h"
#include "experiments/experiment_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  auto parsed = corral::api::ParseBody(body, "application/yaml");
  if (!parsed.ok()) return 0;
  (void)parsed->dump();
  auto spec = corral::experiments::ParseExperimentSpec(*parsed);
  if (spec.ok()) (void)corral::experiments::ExperimentSpecToJson(spec->spec).dump();
  auto job = corral::api::ParseJobSpec(*parsed);
  if (job.ok()) (void)corral::api::JobSpecToJson(*job).dump();
  return 0;
}
