#pragma once

namespace corral::cli {
// The client subcommands (run, ps, describe, logs, cancel, nodes, login, ...). argv[0] is the
// program name.
int RunCli(int argc, char** argv);
}  // namespace corral::cli
