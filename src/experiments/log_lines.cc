#include "experiments/log_lines.h"

#include "experiments/metric_parser.h"

namespace corral::experiments {

std::vector<std::string> ReadNewLines(exec::LogSource& source, int64_t& offset, bool final) {
  constexpr size_t kChunk = 1 << 20;
  std::string buffer;
  for (;;) {
    auto chunk = source.Read(offset + static_cast<int64_t>(buffer.size()), kChunk);
    if (!chunk.ok()) {
      if (chunk.status().code() != StatusCode::kFailedPrecondition || offset == 0) break;
      offset = 0;
      buffer.clear();
      continue;
    }
    buffer += *chunk;
    if (chunk->size() < kChunk) break;
  }
  if (buffer.empty()) return {};
  const size_t before = buffer.size();
  std::vector<std::string> lines = TakeLines(buffer);
  int64_t consumed = static_cast<int64_t>(before - buffer.size());
  if (final && !buffer.empty()) {
    lines.push_back(buffer);
    consumed += static_cast<int64_t>(buffer.size());
  }
  offset += consumed;
  return lines;
}

}  // namespace corral::experiments
