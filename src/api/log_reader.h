#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/result.h"

namespace corral::api {

// Reads a job's log file piece by piece, so that serving a log of any size takes a bounded amount
// of memory. A missing file reads as empty (a replica that has not started yet).
class LogReader {
 public:
  static constexpr size_t kChunkBytes = 64 * 1024;

  explicit LogReader(const std::string& path);
  ~LogReader();
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  // Current size of the file (it may still grow).
  int64_t Size() const;
  // Up to `max` bytes from `offset`; empty at the end of the file.
  std::string Read(int64_t offset, size_t max = kChunkBytes) const;
  // Where the last `lines` lines before `end` begin (a last line without '\n' counts as one),
  // found by reading backwards one chunk at a time.
  int64_t TailOffset(int64_t lines, int64_t end) const;

 private:
  int fd_ = -1;
};

// A byte range of a log, from `?offset=N`, `?tail=N` or a `Range: bytes=A-B` header.
struct LogRange {
  int64_t offset = 0;
  std::optional<int64_t> end;  // exclusive; unset: to the end of the file
};

// Parses "bytes=A-B", "bytes=A-" or "bytes=-N" (the last N bytes) against a file of `size`
// bytes. An error (also for a range beginning past the end) names the `range` field.
Result<LogRange> ParseByteRange(const std::string& header, int64_t size);

}  // namespace corral::api
