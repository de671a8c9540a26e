#pragma once

#include <chrono>
#include <cstdint>

namespace corral {

// Wall-clock time at millisecond resolution. Pure code never reads the system clock itself: it is
// handed a Clock (or a TimePoint) so tests can drive time by hand.
using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::time_point<std::chrono::system_clock, Duration>;

inline int64_t ToMillis(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint FromMillis(int64_t ms) { return TimePoint(Duration(ms)); }

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = FromMillis(1'700'000'000'000)) : now_(start) {}
  TimePoint Now() const override { return now_; }
  void Advance(Duration d) { now_ += d; }
  void Set(TimePoint t) { now_ = t; }

 private:
  TimePoint now_;
};

// Formats a time as RFC 3339 UTC with milliseconds ("2026-11-28T13:56:50.123Z").
std::string FormatRfc3339(TimePoint t);

}  // namespace corral
