#pragma once

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
  // Threads that run the asynchronous I/O (parsing, writing, proxying). Handlers never run there.
  int io_threads = 2;
  // Threads that run handlers (which may block on the control thread), and how many accepted
  // requests may wait for one before new ones are answered 503.
  int worker_threads = 16;
  int worker_queue = 4096;
  // Streamed responses (SSE) each hold a thread of their own while they last.
  int max_streams = 256;
  // A request head must be complete this long after the connection was accepted or, between
  // keep-alive requests, after its first byte: a byte now and then does not extend it.
  int header_timeout_s = 10;
  int body_timeout_s = 60;
  // A keep-alive connection with no request in progress is closed after this long.
  int idle_timeout_s = 60;
  // A write to a client that does not read is abandoned after this long.
  int write_timeout_s = 60;
  // A proxied WebSocket or tunnel with no traffic either way is closed after this long.
  int tunnel_idle_timeout_s = 3600;
  int max_connections = 16384;
  int max_connections_per_client = 4096;
};

// Asynchronous HTTP/1.1 server (Beast). Connections cost no thread while idle; at a connection
// limit, the oldest idle connection (the client's own first) makes room before anything is
// refused. Handlers run on a bounded worker pool, each behind an exception barrier; a response
// may also hand the connection to an upstream (api::ProxyTarget, api::TcpTunnelTarget).
class HttpServer {
 public:
  using Handler = std::function<api::HttpResponse(const api::HttpRequest&)>;
  virtual ~HttpServer() = default;
  // The port actually bound (useful with port 0).
  virtual uint16_t port() const = 0;
  // Serves until Stop(); returns once the I/O threads and workers have finished.
  virtual void Run() = 0;
  // May be called from any thread, also before Run().
  virtual void Stop() = 0;
  // Client connections open now; any thread.
  virtual int64_t open_connections() = 0;
};

Result<std::unique_ptr<HttpServer>> StartHttpServer(const HttpServerOptions& options,
                                                    HttpServer::Handler handler);

// Raises the soft limit on open files to the hard limit, so that thousands of idle connections
// fit. Returns the soft limit in force afterwards.
uint64_t RaiseOpenFileLimit();

}  // namespace corral::server
