#pragma once

namespace corral::tune {
// `corral tune-protocol`: an ask/tell line protocol over stdin/stdout (JSON lines) that exposes
// the search library to other languages (the benchmark driver). argv[0] is "tune-protocol".
int RunTuneProtocol(int argc, char** argv);
}  // namespace corral::tune
