#include "metrics/http_stats.h"

#include <string>

namespace corral::metrics {
namespace {

// Collections under /api/v1 that are their own route class; anything else is "api/other".
constexpr const char* kApiClasses[] = {"jobs",      "events",    "nodes",     "queues",
                                       "users",     "tokens",    "whoami",    "experiments",
                                       "login",     "logout",    "session",   "password",
                                       "workflows", "notebooks", "trainings", "openapi.json"};
constexpr const char* kApiRoutes[] = {
    "api/jobs",      "api/events",    "api/nodes",     "api/queues",
    "api/users",     "api/tokens",    "api/whoami",    "api/experiments",
    "api/login",     "api/logout",    "api/session",   "api/password",
    "api/workflows", "api/notebooks", "api/trainings", "api/openapi"};

std::string_view NextSegment(std::string_view rest) {
  size_t slash = rest.find('/');
  return slash == std::string_view::npos ? rest : rest.substr(0, slash);
}

}  // namespace

const char* RouteClass(std::string_view path) {
  if (path == "/metrics") return "metrics";
  if (path == "/healthz") return "healthz";
  constexpr std::string_view kApi = "/api/v1/";
  if (path.substr(0, kApi.size()) != kApi) return path.substr(0, 4) == "/nb/" ? "notebook" : "ui";
  std::string_view rest = path.substr(kApi.size());
  std::string_view collection = NextSegment(rest);
  // Job logs are streams of their own kind: keep their latency apart from plain job reads.
  if (collection == "jobs" && rest.size() > 5 && rest.substr(rest.size() - 5) == "/logs")
    return "api/jobs/logs";
  for (size_t i = 0; i < std::size(kApiClasses); ++i)
    if (collection == kApiClasses[i]) return kApiRoutes[i];
  return "api/other";
}

void HttpStats::Record(const char* route, std::string_view method, int status, double seconds) {
  // Methods other than the usual ones share one value: the label stays bounded.
  std::string m(method);
  if (m != "GET" && m != "POST" && m != "PUT" && m != "DELETE" && m != "PATCH" && m != "HEAD")
    m = "other";
  requests_.Add({route, m, std::to_string(status)});
  duration_.Observe({route}, seconds);
}

void HttpStats::Collect(std::vector<Family>& out) const {
  Family requests("corral_http_requests_total",
                  "HTTP requests answered, by route class, method and status code.",
                  MetricType::kCounter);
  requests_.Collect(requests);
  Family duration("corral_http_request_duration_seconds",
                  "Time from a parsed request to its response head, by route class (a stream's "
                  "body is not included).",
                  MetricType::kHistogram);
  duration_.Collect(duration);
  out.push_back(std::move(requests));
  out.push_back(std::move(duration));
  if (open_connections_) {
    Family open("corral_http_open_connections", "Open client HTTP connections.",
                MetricType::kGauge);
    open.Add({}, static_cast<double>(open_connections_()));
    out.push_back(std::move(open));
  }
}

}  // namespace corral::metrics
