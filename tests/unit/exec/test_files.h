#pragma once

#include <chrono>
#include <string>
#include <thread>

#include "exec/local/file_io.h"

namespace corral::exec::testing {

inline std::string ReadText(const std::string& path) { return ReadSmallFile(path).value_or(""); }

// Waits up to 5 s until `path` exists (a child signalling that it reached a point).
inline bool WaitForFile(const std::string& path) {
  for (int i = 0; i < 1000; ++i) {
    if (PathExists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace corral::exec::testing
