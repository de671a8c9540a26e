#pragma once

#include <optional>
#include <string>
#include <string_view>

// Small file helpers shared by the shim and the executor. They return errno values rather than
// Status so that the shim links nothing beyond libc and libstdc++.
namespace corral::exec {

// Writes `path` through a temporary file and rename(2), so readers see the old content or the
// new one, never a torn file. With `durable`, the data and the directory entry are fsync'ed
// before returning. Returns 0 or an errno value.
int WriteFileAtomically(const std::string& path, std::string_view data, bool durable);

// Whole content of a small file; nullopt when it cannot be read.
std::optional<std::string> ReadSmallFile(const std::string& path);

bool PathExists(const std::string& path);

// mkdir -p with mode 0755. Returns 0 or an errno value.
int MakeDirectories(const std::string& path);

}  // namespace corral::exec
