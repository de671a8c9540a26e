#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "api/authenticator.h"
#include "api/control_port.h"
#include "api/http_types.h"
#include "gpu/sample_cache.h"
#include "jobs/job_controller.h"
#include "metrics/server_metrics.h"
#include "store/read_pool.h"

namespace corral::server {

struct MetricsAccess {
  // Hash (api::HashToken) of a token that may scrape /metrics and nothing else; empty: none.
  std::string scrape_token_hash;
  // Scrapes from the loopback address need no credentials.
  bool loopback_unauthenticated = false;
};

// GET /metrics in the Prometheus text format. Who may scrape: an admin's token or session, the
// scrape token (--metrics-token-file), or anyone on loopback when so configured.
//
// A scrape costs the control thread one short task (copies of nodes, queues and counts of active
// jobs); counting stored jobs runs on a read-only store connection, and rendering on the
// scraping thread.
class MetricsEndpoint {
 public:
  MetricsEndpoint(api::ControlPort& control, jobs::JobController& jobs, api::Authenticator& auth,
                  metrics::ServerMetrics& instruments, MetricsAccess access);

  api::HttpResponse Handle(const api::HttpRequest& request);
  // Where committed job counts are read (not owned); without one, corral_jobs has active states
  // only.
  void SetReadPool(store::ReadPool* readers) { readers_ = readers; }
  // This host's GPU samples (the cache GET /nodes reads; not owned) and its node's name; without
  // them no NVML figures are exported.
  void SetGpuSamples(const gpu::GpuSampleCache* samples, std::string local_node) {
    gpu_samples_ = samples;
    local_node_ = std::move(local_node);
  }

  // The whole exposition, without the access check.
  std::string Render();

 private:
  Status Authorize(const api::HttpRequest& request);

  api::ControlPort& control_;
  jobs::JobController& jobs_;
  api::Authenticator& auth_;
  MetricsAccess access_;
  store::ReadPool* readers_ = nullptr;
  metrics::ServerMetrics& instruments_;

  const gpu::GpuSampleCache* gpu_samples_ = nullptr;
  std::string local_node_;
};

// Reads a scrape token from a file (first line, surrounding blanks dropped) and returns its hash.
Result<std::string> ReadScrapeTokenHash(const std::string& path);

}  // namespace corral::server
