#include "exec/local/records.h"

#include <cstdio>

namespace corral::exec {
namespace {

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace

std::string FormatShimRecord(const ShimRecord& r) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "{\"shim_pid\":%d,\"shim_start_ticks\":%llu,\"child_pid\":%d,\"child_pgid\":%d,"
                "\"child_start_ticks\":%llu,\"start_ms\":%lld}\n",
                static_cast<int>(r.shim_pid), static_cast<unsigned long long>(r.shim_start_ticks),
                static_cast<int>(r.child_pid), static_cast<int>(r.child_pgid),
                static_cast<unsigned long long>(r.child_start_ticks),
                static_cast<long long>(r.start_ms));
  return buf;
}

std::string FormatExitRecord(const ExitRecord& r) {
  std::string out = "{";
  char buf[160];
  if (r.exit_code) {
    std::snprintf(buf, sizeof buf, "\"exit_code\":%d,", *r.exit_code);
    out += buf;
  }
  if (r.term_signal) {
    std::snprintf(buf, sizeof buf, "\"signal\":%d,", *r.term_signal);
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "\"start_ms\":%lld,\"end_ms\":%lld,\"timed_out\":%s",
                static_cast<long long>(r.start_ms), static_cast<long long>(r.end_ms),
                r.timed_out ? "true" : "false");
  out += buf;
  if (!r.launch_error.empty()) {
    out += ",\"launch_error\":";
    AppendJsonString(out, r.launch_error);
  }
  if (r.log_truncated) out += ",\"log_truncated\":true";
  if (!r.containment.empty()) {
    out += ",\"containment\":";
    AppendJsonString(out, r.containment);
  }
  out += "}\n";
  return out;
}

}  // namespace corral::exec
