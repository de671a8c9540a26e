#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"

namespace corral::cli {

// Compact human duration in the kubectl habit: "45s", "3m12s", "2h5m", "3d4h". Zero-valued
// trailing parts are dropped ("3m", "2h"); durations under a second and negative ones print "0s".
std::string FormatDuration(Duration d);

// Time since `then`, as FormatDuration; a time in the future (clock skew) prints "0s".
std::string FormatAge(TimePoint then, TimePoint now);

// Parses a user-written duration into whole seconds: "90" and "90s" (seconds), "10m", "2h",
// "1d", and combinations written largest unit first ("1h30m", "2d12h"). Rejects empty strings,
// signs, fractions, unknown units, repeated or out-of-order units, zero and overflow.
Result<int64_t> ParseDurationSeconds(std::string_view text);

// Parses an RFC 3339 timestamp as the server writes them ("2026-11-28T13:56:50.123Z"); also
// accepts no fraction, any number of fraction digits, and numeric offsets ("+02:00").
Result<TimePoint> ParseTimestamp(std::string_view text);

}  // namespace corral::cli
