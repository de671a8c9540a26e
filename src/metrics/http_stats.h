#pragma once

#include <atomic>
#include <functional>
#include <string_view>
#include <vector>

#include "metrics/exposition.h"
#include "metrics/instruments.h"

namespace corral::metrics {

// The bounded class of a request path, for labels: "api/jobs", "api/jobs/logs", "api/experiments",
// "metrics", "ui", ... Ids and unknown collections never become label values. The result is a
// string literal (it also names the control-thread tasks a request posts).
const char* RouteClass(std::string_view path);

// HTTP requests by route class, method and status; their latency; open connections.
class HttpStats {
 public:
  void Record(const char* route, std::string_view method, int status, double seconds);
  // Reads the number of open connections at scrape time (set once the server listens).
  void SetOpenConnections(std::function<int64_t()> fn) { open_connections_ = std::move(fn); }
  void Collect(std::vector<Family>& out) const;

 private:
  CounterVec requests_{{"route", "method", "code"}};
  HistogramVec duration_{{"route"}};
  std::function<int64_t()> open_connections_;
};

}  // namespace corral::metrics
