#include <cstdio>

#include "sim/simulate_command.h"

namespace corral::sim {
int RunSimulate(int, char**) {
  std::fprintf(stderr, "corral simulate: not built yet\n");
  return 2;
}
}  // namespace corral::sim
