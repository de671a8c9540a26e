#include "cli/time_format.h"

#include <fmt/core.h>

#include <cctype>
#include <ctime>
#include <limits>

namespace corral::cli {

std::string FormatDuration(Duration d) {
  int64_t s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s <= 0) return "0s";
  constexpr int64_t kMinute = 60, kHour = 3600, kDay = 86400;
  auto two_parts = [](int64_t big, char big_unit, int64_t small, char small_unit) {
    if (small == 0) return fmt::format("{}{}", big, big_unit);
    return fmt::format("{}{}{}{}", big, big_unit, small, small_unit);
  };
  if (s < kMinute) return fmt::format("{}s", s);
  if (s < kHour) return two_parts(s / kMinute, 'm', s % kMinute, 's');
  if (s < kDay) return two_parts(s / kHour, 'h', (s % kHour) / kMinute, 'm');
  return two_parts(s / kDay, 'd', (s % kDay) / kHour, 'h');
}

std::string FormatAge(TimePoint then, TimePoint now) { return FormatDuration(now - then); }

namespace {

int64_t UnitSeconds(char unit) {
  switch (unit) {
    case 's':
      return 1;
    case 'm':
      return 60;
    case 'h':
      return 3600;
    case 'd':
      return 86400;
    default:
      return 0;
  }
}

Status BadDuration(std::string_view text, std::string_view why) {
  return InvalidArgument("", fmt::format("invalid duration \"{}\": {} (examples: 90s, 10m, 2h, "
                                         "1h30m, 1d)",
                                         text, why));
}

}  // namespace

Result<int64_t> ParseDurationSeconds(std::string_view text) {
  if (text.empty()) return BadDuration(text, "empty");
  int64_t total = 0;
  int64_t previous_unit = std::numeric_limits<int64_t>::max();
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      return BadDuration(text, "expected a whole number");
    }
    int64_t number = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (number > (std::numeric_limits<int64_t>::max() - 9) / 10) {
        return BadDuration(text, "too large");
      }
      number = number * 10 + (text[i] - '0');
      ++i;
    }
    int64_t unit = 1;
    if (i < text.size()) {
      unit = UnitSeconds(text[i]);
      if (unit == 0) return BadDuration(text, fmt::format("unknown unit '{}'", text[i]));
      ++i;
    } else if (previous_unit != std::numeric_limits<int64_t>::max()) {
      return BadDuration(text, "the last number has no unit");
    }
    if (unit >= previous_unit) return BadDuration(text, "units must go from largest to smallest");
    previous_unit = unit;
    if (number > (std::numeric_limits<int64_t>::max() - total) / unit) {
      return BadDuration(text, "too large");
    }
    total += number * unit;
  }
  if (total == 0) return BadDuration(text, "must be greater than zero");
  return total;
}

namespace {

// Reads exactly `width` digits at `pos`.
bool ReadDigits(std::string_view text, size_t& pos, int width, int& out) {
  if (pos + width > text.size()) return false;
  int value = 0;
  for (int k = 0; k < width; ++k) {
    char c = text[pos + k];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    value = value * 10 + (c - '0');
  }
  pos += width;
  out = value;
  return true;
}

bool Expect(std::string_view text, size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

Result<TimePoint> ParseTimestamp(std::string_view text) {
  auto bad = [&] {
    return InvalidArgument("", fmt::format("invalid timestamp \"{}\" (want RFC 3339)", text));
  };
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!ReadDigits(text, pos, 4, year) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, month) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, day)) {
    return bad();
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    return bad();
  }
  ++pos;
  if (!ReadDigits(text, pos, 2, hour) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, minute) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, second)) {
    return bad();
  }
  int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad();
    for (int k = digits; k < 3; ++k) millis *= 10;
  }
  int64_t offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '+' ? 1 : -1;
    ++pos;
    int off_h, off_m;
    if (!ReadDigits(text, pos, 2, off_h) || !Expect(text, pos, ':') ||
        !ReadDigits(text, pos, 2, off_m) || off_h > 23 || off_m > 59) {
      return bad();
    }
    offset_seconds = sign * (off_h * 3600 + off_m * 60);
  } else {
    return bad();
  }
  if (pos != text.size()) return bad();
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return bad();
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  int64_t epoch_seconds = static_cast<int64_t>(timegm(&tm)) - offset_seconds;
  if (tm.tm_mday != day) return bad();  // timegm normalised a day the month does not have
  return FromMillis(epoch_seconds * 1000 + millis);
}

}  // namespace corral::cli
