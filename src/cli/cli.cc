#include <cstdio>

#include "cli/cli.h"

namespace corral::cli {
int RunCli(int, char**) {
  std::fprintf(stderr, "corral: client commands not built yet\n");
  return 2;
}
}  // namespace corral::cli
