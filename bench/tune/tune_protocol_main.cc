// `tune_protocol_bench tune-protocol`: the same entry point as `corral tune-protocol`.
#include <cstdio>
#include <cstring>

#include "tune/tune_command.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "tune-protocol") == 0)
    return corral::tune::RunTuneProtocol(argc - 1, argv + 1);
  std::fprintf(stderr, "usage: %s tune-protocol\n", argv[0]);
  return 2;
}
