#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/client_config.h"
#include "cli/http_client.h"
#include "cli/sse_parser.h"
#include "common/result.h"

namespace corral::cli {

// Query parameters in order; repeated names are allowed (label=a=1&label=b=2).
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// "?k=v&k2=v2" with names and values percent-encoded; "" when there are none.
std::string BuildQuery(const QueryParams& params);

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string PercentEncode(std::string_view text);

// Turns a non-2xx reply into a Status. Corral's error body
// {"error": {"code", "message", "details": {"field"}}} gives the code, message and field; any
// other body (a proxy's HTML page, a different service) gives a code from the HTTP status and a
// message quoting the start of the body.
Status StatusFromErrorReply(int http_status, std::string_view body);

// The REST API of docs/api.md over an HttpClient: adds the base URL and the bearer token, parses
// JSON replies and maps failures to Status. A server that cannot be reached at all is
// kUnavailable with a message that names the URL.
class ApiClient {
 public:
  ApiClient(HttpClient& http, Connection connection)
      : http_(http), connection_(std::move(connection)) {}

  const Connection& connection() const { return connection_; }

  // `path` is relative to /api/v1 ("/jobs?state=running").
  Result<nlohmann::json> GetJson(std::string_view path);
  Result<nlohmann::json> PostJson(std::string_view path, const nlohmann::json& body);
  // Sends `body` as is, with the given content type (a spec file in YAML or JSON); an empty
  // body with an empty content type is a bare POST (cancel).
  Result<nlohmann::json> PostRaw(std::string_view path, std::string body,
                                 std::string_view content_type);
  Result<nlohmann::json> PutRaw(std::string_view path, std::string body,
                                std::string_view content_type);
  Result<std::string> GetText(std::string_view path);
  // GET /metrics (outside /api/v1): the server's Prometheus exposition.
  Result<std::string> GetMetricsText();
  Result<nlohmann::json> DeleteJson(std::string_view path);

  // Reads an SSE stream until the server closes it or `on_event` returns false. Ok in both cases;
  // the caller knows from the events it saw whether the stream ended where it should have.
  Status FollowEvents(std::string_view path, const SseParser::Callback& on_event);

 private:
  HttpRequest NewRequest(std::string method, std::string_view path) const;
  Result<nlohmann::json> ParseJsonReply(Result<HttpResponse> reply);
  Status Unreachable(const Status& transport_failure) const;

  HttpClient& http_;
  Connection connection_;
};

}  // namespace corral::cli
