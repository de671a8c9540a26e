#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "common/clock.h"
#include "common/utf8.h"

namespace corral::log {
namespace {
std::atomic<Level> g_level{Level::kInfo};
std::mutex g_mu;
const char* Name(Level l) {
  switch (l) {
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarn:
      return "WARN";
    case Level::kError:
      return "ERROR";
  }
  return "?";
}
}  // namespace

std::string EscapeForLog(std::string_view message) {
  std::string valid = ToValidUtf8(message);
  std::string out;
  out.reserve(valid.size());
  for (char c : valid) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7F) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out;
}

void SetLevel(Level level) { g_level = level; }
Level GetLevel() { return g_level; }

void Write(Level level, std::string_view message) {
  // One message is one line, whatever text a client managed to put into it.
  std::string line = fmt::format("{} {} {}\n", FormatRfc3339(SystemClock().Now()), Name(level),
                                 EscapeForLog(message));
  std::lock_guard lock(g_mu);
  fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace corral::log
