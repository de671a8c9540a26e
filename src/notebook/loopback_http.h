#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace corral::notebook {

struct LoopbackReply {
  int status = 0;
  std::string body;
};

// One blocking HTTP/1.0 GET to 127.0.0.1:`port` (a notebook's own server, on this host), the
// whole exchange bounded by `timeout`. kUnavailable when nothing answers (refused, timed out).
// Small on purpose: the prober asks two short JSON documents of servers it started itself.
Result<LoopbackReply> LoopbackGet(int port, const std::string& target,
                                  const std::vector<std::pair<std::string, std::string>>& headers,
                                  std::chrono::milliseconds timeout);

}  // namespace corral::notebook
