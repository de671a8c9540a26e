// Trace CSV files for the simulator.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "sim/trace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  corral::sim::TraceWindow window;
  window.from_s = 0;
  auto jobs = corral::sim::ParseTrace(in, "fuzz.csv", window);
  if (jobs.ok()) corral::sim::SynthesiseUsers(*jobs, 3);
  return 0;
}
