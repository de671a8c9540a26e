#pragma once

#include <map>
#include <memory>
#include <string>

#include "api/authenticator.h"
#include "api/control_port.h"
#include "api/event_hub.h"
#include "api/http_types.h"
#include "api/session_routes.h"
#include "gpu/sample_cache.h"
#include "jobs/job_controller.h"
#include "store/read_pool.h"
#include "store/store.h"

namespace corral::api {

// Serves one top-level collection under /api/v1 (e.g. "experiments") for another module.
class SubRouter {
 public:
  virtual ~SubRouter() = default;
  // `parts` is the path below /api/v1 split at '/', parts[0] being the collection's name.
  virtual HttpResponse Handle(const jobs::Caller& caller, const std::vector<std::string>& parts,
                              const HttpRequest& request) = 0;
};

struct ApiLimits {
  size_t max_body_bytes = 1 << 20;
};

// Routes /api/v1 requests: authenticates, validates, and hands typed commands to the control
// thread. Safe to call from many request threads at once.
class ApiService {
 public:
  ApiService(ControlPort& control, jobs::JobController& jobs, store::Store& store, EventHub& hub,
             ApiLimits limits = {});

  HttpResponse Handle(const HttpRequest& request);
  // Routes /api/v1/<collection>/... to `router` (not owned). Call before serving.
  void Mount(const std::string& collection, SubRouter* router) { mounts_[collection] = router; }
  const ApiLimits& limits() const { return limits_; }
  // Accept trial tokens made with this key (api/tokens.h). Call before serving.
  void SetTrialKey(std::string key) { auth_->SetTrialKey(std::move(key)); }
  // The authentication every other route (web UI, proxies) shares with the API.
  Authenticator& authenticator() { return *auth_; }
  // Read-only connections for GET /jobs, GET /jobs/<id> and the event log's catch-up, so that
  // they do not wait for the control thread (not owned). Without one, reads go through it.
  void SetReadPool(store::ReadPool* readers) { readers_ = readers; }
  // The cached NVML sample of `local_node`'s real GPUs that GET /nodes reports (not owned).
  void SetGpuSamples(const gpu::GpuSampleCache* samples, std::string local_node) {
    gpu_samples_ = samples;
    local_node_ = std::move(local_node);
  }

 private:
  // Handle without its exception barrier.
  HttpResponse Route(const HttpRequest& request);
  Result<jobs::Caller> Authenticate(const HttpRequest& request);

  HttpResponse SubmitJob(const jobs::Caller& caller, const HttpRequest& request);
  HttpResponse ListJobs(const jobs::Caller& caller, const HttpRequest& request);
  HttpResponse GetJob(const jobs::Caller& caller, JobId id);
  HttpResponse CancelJob(const jobs::Caller& caller, JobId id);
  HttpResponse Logs(const jobs::Caller& caller, JobId id, const HttpRequest& request);
  HttpResponse Events(const jobs::Caller& caller, const HttpRequest& request);
  HttpResponse Nodes(const jobs::Caller& caller);
  HttpResponse CreateUser(const jobs::Caller& caller, const HttpRequest& request);
  HttpResponse ListUsers(const jobs::Caller& caller);
  HttpResponse CreateToken(const jobs::Caller& caller, const HttpRequest& request);
  HttpResponse ListTokens(const jobs::Caller& caller, const HttpRequest& request);
  HttpResponse RevokeToken(const jobs::Caller& caller, const std::string& id_text);
  HttpResponse ListQueues();
  HttpResponse SetQueues(const jobs::Caller& caller, const HttpRequest& request);

  ControlPort& control_;
  jobs::JobController& jobs_;
  store::Store& store_;
  EventHub& hub_;
  ApiLimits limits_;
  SystemClock clock_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<SessionRoutes> session_routes_;
  store::ReadPool* readers_ = nullptr;
  const gpu::GpuSampleCache* gpu_samples_ = nullptr;
  std::string local_node_;

  std::map<std::string, SubRouter*> mounts_;
};

}  // namespace corral::api
