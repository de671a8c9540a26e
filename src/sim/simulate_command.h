#pragma once

namespace corral::sim {
// `corral simulate --trace FILE ...`. argv[0] is "simulate".
int RunSimulate(int argc, char** argv);
}  // namespace corral::sim
