#pragma once

namespace corral::server {
// `corral server [flags]`. argv[0] is "server".
int RunServer(int argc, char** argv);
}  // namespace corral::server
