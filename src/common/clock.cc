#include <ctime>
#include <string>

#include "common/clock.h"

namespace corral {

std::string FormatRfc3339(TimePoint t) {
  int64_t ms = ToMillis(t);
  time_t secs = static_cast<time_t>(ms / 1000);
  int frac = static_cast<int>(ms % 1000);
  if (frac < 0) {
    frac += 1000;
    secs -= 1;
  }
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[40];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof buf - n, ".%03dZ", frac);
  return buf;
}

}  // namespace corral
