// The `corral` binary: server, client commands, and helper entry points in one executable.
#include <cstring>

#include "cli/cli.h"
#include "exec/shim.h"
#include "server/server_main.h"
#include "sim/simulate_command.h"
#include "tune/tune_command.h"

int main(int argc, char** argv) {
  if (argc >= 2) {
    const char* cmd = argv[1];
    if (std::strcmp(cmd, "shim") == 0) return corral::exec::RunShim(argc - 1, argv + 1);
    if (std::strcmp(cmd, "server") == 0) return corral::server::RunServer(argc - 1, argv + 1);
    if (std::strcmp(cmd, "simulate") == 0) return corral::sim::RunSimulate(argc - 1, argv + 1);
    if (std::strcmp(cmd, "tune-protocol") == 0)
      return corral::tune::RunTuneProtocol(argc - 1, argv + 1);
  }
  return corral::cli::RunCli(argc, argv);
}
