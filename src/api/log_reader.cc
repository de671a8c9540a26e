#include "api/log_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace corral::api {

LogReader::LogReader(const std::string& path) {
  if (!path.empty()) fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
}

LogReader::~LogReader() {
  if (fd_ >= 0) ::close(fd_);
}

int64_t LogReader::Size() const {
  struct stat st {};
  if (fd_ < 0 || ::fstat(fd_, &st) != 0) return 0;
  return st.st_size;
}

std::string LogReader::Read(int64_t offset, size_t max) const {
  std::string out;
  if (fd_ < 0 || max == 0) return out;
  out.resize(max);
  ssize_t n;
  do {
    n = ::pread(fd_, out.data(), max, offset);
  } while (n < 0 && errno == EINTR);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

int64_t LogReader::TailOffset(int64_t lines, int64_t end) const {
  if (lines <= 0) return end;
  int64_t pos = end;
  int64_t newlines = 0;
  bool first = true;
  while (pos > 0) {
    int64_t start = std::max<int64_t>(0, pos - static_cast<int64_t>(kChunkBytes));
    std::string chunk = Read(start, static_cast<size_t>(pos - start));
    if (chunk.empty()) break;
    for (int64_t i = static_cast<int64_t>(chunk.size()) - 1; i >= 0; --i) {
      if (chunk[static_cast<size_t>(i)] != '\n') {
        first = false;
        continue;
      }
      // The newline that ends the file closes the last line; it does not start a new one.
      if (first) {
        first = false;
        continue;
      }
      if (++newlines == lines) return start + i + 1;
    }
    pos = start;
  }
  return 0;
}

namespace {

std::optional<int64_t> ParseCount(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

Result<LogRange> ParseByteRange(const std::string& header, int64_t size) {
  std::string_view h = header;
  auto bad = [] {
    return InvalidArgument("range", "must be 'bytes=START-[END]' or 'bytes=-LAST' (one range)");
  };
  if (h.substr(0, 6) != "bytes=") return bad();
  h.remove_prefix(6);
  size_t dash = h.find('-');
  if (dash == std::string_view::npos || h.find(',') != std::string_view::npos) return bad();
  std::string_view first = h.substr(0, dash), last = h.substr(dash + 1);
  LogRange range;
  if (first.empty()) {
    std::optional<int64_t> n = ParseCount(last);
    if (!n) return bad();
    range.offset = std::max<int64_t>(0, size - *n);
    return range;
  }
  std::optional<int64_t> a = ParseCount(first);
  if (!a) return bad();
  range.offset = *a;
  if (!last.empty()) {
    std::optional<int64_t> b = ParseCount(last);
    if (!b || *b < *a) return bad();
    range.end = std::min(*b + 1, size);
  }
  if (range.offset > size) {
    return InvalidArgument("range",
                           "starts after the end of the log (" + std::to_string(size) + " bytes)");
  }
  return range;
}

}  // namespace corral::api
