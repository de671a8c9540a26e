#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/http_types.h"
#include "common/result.h"

namespace corral::server {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port
  size_t max_body_bytes = 1 << 20;
  int max_connections = 1024;
  int idle_timeout_s = 120;
};

// HTTP/1.1 server, one thread per connection (keeps streaming responses and, later, proxied
// WebSockets simple). The handler runs on the connection's thread.
class HttpServer {
 public:
  using Handler = std::function<api::HttpResponse(const api::HttpRequest&)>;
  virtual ~HttpServer() = default;
  // The port actually bound (useful with port 0).
  virtual uint16_t port() const = 0;
  // Accepts connections until Stop(); returns when the acceptor has closed.
  virtual void Run() = 0;
  virtual void Stop() = 0;
};

Result<std::unique_ptr<HttpServer>> StartHttpServer(const HttpServerOptions& options,
                                                    HttpServer::Handler handler);

}  // namespace corral::server
