#pragma once

#include <fmt/core.h>

#include <string>
#include <string_view>

namespace corral::log {

enum class Level { kDebug = 0, kInfo, kWarn, kError };

// The message as one line of valid UTF-8: control characters become \n, \r, \t or \xNN
// escapes and invalid bytes U+FFFD, so text from a request can never forge a log line.
std::string EscapeForLog(std::string_view message);

void SetLevel(Level level);
Level GetLevel();
void Write(Level level, std::string_view message);

template <class... Args>
void Info(fmt::format_string<Args...> f, Args&&... args) {
  if (GetLevel() <= Level::kInfo) Write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void Warn(fmt::format_string<Args...> f, Args&&... args) {
  if (GetLevel() <= Level::kWarn) Write(Level::kWarn, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void Error(fmt::format_string<Args...> f, Args&&... args) {
  Write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void Debug(fmt::format_string<Args...> f, Args&&... args) {
  if (GetLevel() <= Level::kDebug)
    Write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace corral::log
