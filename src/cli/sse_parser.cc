#include "cli/sse_parser.h"

namespace corral::cli {

bool SseParser::Feed(std::string_view chunk) {
  if (stopped_) return false;
  for (char c : chunk) {
    if (c == '\n' && last_was_cr_) {
      last_was_cr_ = false;  // the LF of a CRLF pair: the line already ended at the CR
      continue;
    }
    last_was_cr_ = (c == '\r');
    if (c == '\n' || c == '\r') {
      std::string line;
      line.swap(pending_line_);
      if (!ProcessLine(line)) {
        stopped_ = true;
        return false;
      }
      continue;
    }
    pending_line_ += c;
  }
  return true;
}

bool SseParser::ProcessLine(std::string_view line) {
  if (line.empty()) return Dispatch();
  if (line.front() == ':') return true;
  std::string_view field = line;
  std::string_view value;
  if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "event") {
    current_.type = std::string(value);
  } else if (field == "data") {
    if (has_data_) current_.data += '\n';
    current_.data += value;
    has_data_ = true;
  } else if (field == "id") {
    current_.id = std::string(value);
  }
  // `retry:` and unknown fields do not matter to a client that does not reconnect by itself.
  return true;
}

bool SseParser::Dispatch() {
  SseEvent event;
  std::swap(event, current_);
  bool had_data = has_data_;
  has_data_ = false;
  if (!had_data) return true;
  if (event.type.empty()) event.type = "message";
  return on_event_(event);
}

}  // namespace corral::cli
