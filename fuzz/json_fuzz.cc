// JSON request bodies: the body parser, then the job spec and queue readers on what it accepts.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/job_json.h"
#include "api/json_reader.h"
#include "api/queue_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  auto parsed = corral::api::ParseBody(body, "application/json");
  if (!parsed.ok()) return 0;
  // Whatever was accepted must serialise without throwing.
  (void)parsed->dump();
  auto spec = corral::api::ParseJobSpec(*parsed);
  if (spec.ok()) (void)corral::api::JobSpecToJson(*spec).dump();
  auto queues = corral::api::ParseQueues(*parsed);
  if (queues.ok()) (void)corral::api::QueueConfigsToJson(*queues).dump();
  return 0;
}
