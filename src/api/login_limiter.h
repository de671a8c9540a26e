#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.h"

namespace corral::api {

struct LoginLimits {
  int max_failures = 10;  // per key within `window`
  Duration window = Duration(5 * 60 * 1000);
  size_t max_keys = 10000;  // memory bound: the oldest keys are dropped beyond it
};

// Counts failed logins per key (a user name, a remote address) in a sliding window. Once a key
// has `max_failures` in the window it is refused until the oldest of them leaves the window, so
// guessing is held to max_failures per window per user and per address. Thread-safe.
class LoginLimiter {
 public:
  explicit LoginLimiter(const Clock& clock, LoginLimits limits = {})
      : clock_(clock), limits_(limits) {}

  // How long `key` must wait before trying again; nullopt when it may try now.
  std::optional<Duration> RetryAfter(const std::string& key);
  void RecordFailure(const std::string& key);
  // RetryAfter, and when the key may try, counts the attempt as a failure at once, so that many
  // attempts in flight together cannot all pass the check; Forgive takes it back on success.
  std::optional<Duration> Attempt(const std::string& key);
  void Forgive(const std::string& key);
  void Reset(const std::string& key);

 private:
  std::optional<Duration> RetryAfterLocked(const std::string& key, TimePoint now);
  void RecordFailureLocked(const std::string& key, TimePoint now);
  void Prune(std::deque<TimePoint>& failures, TimePoint now) const;

  const Clock& clock_;
  LoginLimits limits_;
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<TimePoint>> failures_;
};

}  // namespace corral::api
