#include <cstdio>

#include "tune/tune_command.h"

namespace corral::tune {
int RunTuneProtocol(int, char**) {
  std::fprintf(stderr, "corral tune-protocol: not built yet\n");
  return 2;
}
}  // namespace corral::tune
