#include "server/metrics_endpoint.h"

#include <sodium.h>

#include <chrono>
#include <fstream>

#include "api/error_response.h"
#include "api/tokens.h"
#include "common/log.h"
#include "metrics/cluster_collector.h"
#include "metrics/exposition.h"
#include "metrics/process_collector.h"

namespace corral::server {
namespace {

using SteadyClock = std::chrono::steady_clock;

bool IsLoopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address.rfind("::ffff:127.", 0) == 0;
}

std::string BearerToken(const api::HttpRequest& request) {
  const std::string auth = request.Header("authorization");
  const std::string prefix = "Bearer ";
  if (auth.size() <= prefix.size() || auth.compare(0, prefix.size(), prefix) != 0) return "";
  return auth.substr(prefix.size());
}

}  // namespace

Result<std::string> ReadScrapeTokenHash(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line))
    return InvalidArgument("--metrics-token-file", "cannot read " + path);
  const char* blanks = " \t\r\n";
  size_t begin = line.find_first_not_of(blanks);
  size_t end = line.find_last_not_of(blanks);
  if (begin == std::string::npos)
    return InvalidArgument("--metrics-token-file", path + " holds no token on its first line");
  std::string token = line.substr(begin, end - begin + 1);
  if (token.size() < 16)
    return InvalidArgument("--metrics-token-file",
                           "the token in " + path + " is too short (16 characters at least)");
  return api::HashToken(token);
}

MetricsEndpoint::MetricsEndpoint(api::ControlPort& control, jobs::JobController& jobs,
                                 api::Authenticator& auth, metrics::ServerMetrics& instruments,
                                 MetricsAccess access)
    : control_(control),
      jobs_(jobs),
      auth_(auth),
      access_(std::move(access)),
      instruments_(instruments) {}

Status MetricsEndpoint::Authorize(const api::HttpRequest& request) {
  if (!access_.scrape_token_hash.empty()) {
    std::string token = BearerToken(request);
    if (!token.empty()) {
      std::string hash = api::HashToken(token);
      if (hash.size() == access_.scrape_token_hash.size() &&
          sodium_memcmp(hash.data(), access_.scrape_token_hash.data(), hash.size()) == 0)
        return Status::Ok();
    }
  }
  const bool has_credentials =
      !request.Header("authorization").empty() || !request.Header("cookie").empty();
  if (access_.loopback_unauthenticated && !has_credentials && IsLoopback(request.remote))
    return Status::Ok();
  CORRAL_ASSIGN_OR_RETURN(jobs::Caller caller, auth_.Authenticate(request));
  if (!caller.is_admin())
    return Status(StatusCode::kPermissionDenied,
                  "/metrics is for admins and the scrape token (--metrics-token-file)");
  return Status::Ok();
}

api::HttpResponse MetricsEndpoint::Handle(const api::HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD")
    return api::ErrorResponse(Status(StatusCode::kInvalidArgument,
                                     "method " + request.method + " is not allowed on /metrics",
                                     "method"));
  if (Status s = Authorize(request); !s.ok()) return api::ErrorResponse(s);
  // The exposition takes no parameters: one sent means a scrape configured by mistake.
  for (const auto& [key, value] : request.query)
    return api::ErrorResponse(InvalidArgument(key, "unknown query parameter"));
  api::HttpResponse r;
  r.content_type = metrics::kContentType;
  r.body = Render();
  return r;
}

std::string MetricsEndpoint::Render() {
  metrics::ClusterSnapshot snap;
  auto start = SteadyClock::now();
  {
    api::TaskNameScope name("metrics.snapshot");
    api::CallOnControl(control_, [&] {
      snap.nodes = jobs_.Nodes();
      snap.queues = jobs_.Queues();
      snap.active = jobs_.CountActive();
    });
  }
  const double snapshot_seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  if (readers_) {
    auto counted = readers_->Use([](store::Store& s) { return s.CountJobsByState(); });
    if (counted.ok()) {
      snap.stored_by_state = std::move(*counted);
    } else {
      log::Warn("metrics: counting jobs: {}", counted.status().ToString());
    }
  }
  // The sample GET /nodes shows too, refreshed off this thread: a scrape never waits for NVML.
  if (gpu_samples_) {
    if (auto latest = gpu_samples_->Latest()) snap.local_samples = latest->samples;
    snap.local_node = local_node_;
  }

  std::vector<metrics::Family> families;
  metrics::AppendClusterFamilies(snap, families);
  instruments_.job_events.Collect(families);
  instruments_.control.Collect(families);
  instruments_.http.Collect(families);
  instruments_.trials.Collect(families);
  if (auto process = metrics::ReadProcessFigures())
    metrics::AppendProcessFamilies(*process, families);
  metrics::Family scrape("corral_metrics_snapshot_seconds",
                         "Time this scrape waited for and spent on the control thread to copy "
                         "the cluster state.",
                         metrics::MetricType::kGauge);
  scrape.Add({}, snapshot_seconds);
  families.push_back(std::move(scrape));
  return metrics::RenderText(families);
}

}  // namespace corral::server
