#pragma once

#include <vector>

#include "common/result.h"

namespace corral::notebook {

// `count` distinct TCP ports that were free on 127.0.0.1 a moment ago (the kernel's choice for a
// bind to port 0), for a notebook's Jupyter server and sshd to listen on.
Result<std::vector<int>> FreeLoopbackPorts(int count);

}  // namespace corral::notebook
