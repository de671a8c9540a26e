#pragma once

namespace corral::exec {
// `corral shim ...` / `corral-shim ...`: supervises one replica's process group. argv[0] is "shim".
int RunShim(int argc, char** argv);
}  // namespace corral::exec
