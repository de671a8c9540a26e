#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace corral::cli {

// One Server-Sent Event.
struct SseEvent {
  std::string type = "message";  // the `event:` field; "message" when absent
  std::string data;              // `data:` lines joined with "\n"
  std::string id;                // the `id:` field of this event, if any
};

// Incremental parser for a text/event-stream body (WHATWG HTML, "server-sent events"): feed it
// bytes in whatever chunks the network delivers and it calls `on_event` once per complete event.
// Lines may end in LF, CRLF or CR; comment lines (":keep-alive") are skipped; an event whose
// only data line is empty ("data:") is delivered with empty data, so empty log lines survive.
class SseParser {
 public:
  // Returning false from the callback asks the caller to stop reading.
  using Callback = std::function<bool(const SseEvent&)>;
  explicit SseParser(Callback on_event) : on_event_(std::move(on_event)) {}

  // Returns false once a callback returned false; the rest of the chunk is then ignored.
  bool Feed(std::string_view chunk);

 private:
  bool ProcessLine(std::string_view line);
  bool Dispatch();

  Callback on_event_;
  std::string pending_line_;
  bool last_was_cr_ = false;
  SseEvent current_;
  bool has_data_ = false;
  bool stopped_ = false;
};

}  // namespace corral::cli
