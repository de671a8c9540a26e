#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace corral::cli {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent when non-empty, or always for POST/PUT/PATCH
};

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;  // for a streamed 2xx reply, empty: the bytes went to the callback
};

// Receives a streamed body as it arrives; return false to stop reading (not an error).
using BodyChunkCallback = std::function<bool(std::string_view chunk)>;

// A way to send HTTP requests. Failures to get any reply at all (refused, unresolvable, timed
// out) are a kUnavailable Status whose message is the short reason ("connection refused"); any
// reply, 4xx/5xx included, is a response.
class HttpClient {
 public:
  virtual ~HttpClient() = default;

  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;

  // Like Send, but hands a 2xx body to `on_chunk` while it arrives (for SSE) and waits as long
  // as the server keeps the reply open. A non-2xx body is collected into the response instead.
  virtual Result<HttpResponse> Stream(const HttpRequest& request,
                                      const BodyChunkCallback& on_chunk) = 0;
};

// libcurl-backed client. One easy handle is reused, so successive requests to the same server
// share a kept-alive connection.
class CurlHttpClient final : public HttpClient {
 public:
  CurlHttpClient();
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  Result<HttpResponse> Send(const HttpRequest& request) override;
  Result<HttpResponse> Stream(const HttpRequest& request,
                              const BodyChunkCallback& on_chunk) override;

 private:
  Result<HttpResponse> Perform(const HttpRequest& request, const BodyChunkCallback* on_chunk);

  void* curl_;  // CURL*, kept out of this header
};

}  // namespace corral::cli
