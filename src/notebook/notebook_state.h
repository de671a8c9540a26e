#pragma once

#include <string>

namespace corral::notebook {

// Notebook states, as stored and shown. Every state after kStopping has ended_at set.
inline constexpr const char* kStarting = "starting";  // waiting for GPUs, or for Jupyter to answer
inline constexpr const char* kReady = "ready";
inline constexpr const char* kStopping = "stopping";  // stop asked; the job is being cancelled
inline constexpr const char* kStopped = "stopped";
inline constexpr const char* kCulled = "culled";  // stopped for being idle
inline constexpr const char* kFailed = "failed";

inline bool IsEnded(const std::string& state) {
  return state == kStopped || state == kCulled || state == kFailed;
}

}  // namespace corral::notebook
