#include "api/login_limiter.h"

#include <algorithm>

namespace corral::api {

void LoginLimiter::Prune(std::deque<TimePoint>& failures, TimePoint now) const {
  while (!failures.empty() && failures.front() + limits_.window <= now) failures.pop_front();
}

std::optional<Duration> LoginLimiter::RetryAfter(const std::string& key) {
  std::lock_guard lock(mu_);
  return RetryAfterLocked(key, clock_.Now());
}

void LoginLimiter::RecordFailure(const std::string& key) {
  std::lock_guard lock(mu_);
  RecordFailureLocked(key, clock_.Now());
}

std::optional<Duration> LoginLimiter::Attempt(const std::string& key) {
  std::lock_guard lock(mu_);
  const TimePoint now = clock_.Now();
  if (auto wait = RetryAfterLocked(key, now)) return wait;
  RecordFailureLocked(key, now);
  return std::nullopt;
}

void LoginLimiter::Forgive(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  if (it == failures_.end()) return;
  if (!it->second.empty()) it->second.pop_back();
  if (it->second.empty()) failures_.erase(it);
}

std::optional<Duration> LoginLimiter::RetryAfterLocked(const std::string& key, TimePoint now) {
  auto it = failures_.find(key);
  if (it == failures_.end()) return std::nullopt;
  Prune(it->second, now);
  if (it->second.empty()) {
    failures_.erase(it);
    return std::nullopt;
  }
  if (static_cast<int>(it->second.size()) < limits_.max_failures) return std::nullopt;
  // Free again once enough failures have aged out to leave room for one more.
  const size_t oldest_that_blocks = it->second.size() - static_cast<size_t>(limits_.max_failures);
  return std::max(Duration(1), it->second[oldest_that_blocks] + limits_.window - now);
}

void LoginLimiter::RecordFailureLocked(const std::string& key, TimePoint now) {
  if (failures_.size() >= limits_.max_keys && !failures_.contains(key)) {
    // Drop whatever has aged out; if that is not enough, the key whose last failure is oldest.
    for (auto it = failures_.begin(); it != failures_.end();) {
      Prune(it->second, now);
      it = it->second.empty() ? failures_.erase(it) : std::next(it);
    }
    if (failures_.size() >= limits_.max_keys) {
      auto oldest = std::min_element(failures_.begin(), failures_.end(), [](auto& a, auto& b) {
        return a.second.back() < b.second.back();
      });
      failures_.erase(oldest);
    }
  }
  auto& failures = failures_[key];
  Prune(failures, now);
  failures.push_back(now);
  // A key that keeps failing while refused needs no more than max_failures entries to stay
  // refused for a full window after its latest attempt.
  while (static_cast<int>(failures.size()) > limits_.max_failures) failures.pop_front();
}

void LoginLimiter::Reset(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

}  // namespace corral::api
