#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::api {

// Transport-neutral HTTP request/response, so routes and handlers know nothing of the HTTP library.
struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string, percent-decoded
  std::string target;  // as received: path and query, not decoded (for forwarding)
  std::multimap<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string remote;

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  // First value of a query parameter, or nullptr when absent.
  const std::string* Query(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? nullptr : &it->second;
  }
};

// Writes a streamed response body chunk by chunk. Write returns false once the client has gone.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual bool Write(std::string_view chunk) = 0;
};

// "Forward this request to an upstream HTTP server and relay its answer." A plain request is sent
// on with the target and headers below and the response streamed back; a request carrying
// `Upgrade: websocket` is forwarded too and, once the upstream answers 101, bytes are spliced both
// ways until either side closes (Jupyter kernel channels behind /nb/<id>/).
struct ProxyTarget {
  std::string host;  // IP address or name of the upstream
  uint16_t port = 0;
  std::string target;  // path and query to request upstream, already encoded
  std::vector<std::pair<std::string, std::string>> set_headers;  // replace or add
  std::vector<std::string> remove_headers;
};

// "Accept this request as a WebSocket and bridge its binary messages to a raw TCP connection"
// (SSH over WebSocket, as an ssh ProxyCommand).
struct TcpTunnelTarget {
  std::string host;
  uint16_t port = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is produced by this function after the head is sent (chunked), e.g. SSE.
  // It runs on a thread of its own and may block until the stream ends; StreamSink::Write blocks
  // until the chunk is sent, so a slow client slows the producer instead of filling memory.
  std::function<void(StreamSink&)> stream;
  // When set, status/body/stream are ignored and the connection is handed to the upstream.
  std::optional<ProxyTarget> proxy;
  std::optional<TcpTunnelTarget> websocket_tunnel;
};

}  // namespace corral::api
