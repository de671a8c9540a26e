#include "server/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "unit/server/test_sockets.h"

namespace corral::server {
namespace {

using namespace std::chrono_literals;
using testing::ClosedWithin;
using testing::ConnectTo;
using testing::Get;
using testing::Listener;
using testing::ReadResponse;
using testing::ReadSome;
using testing::SendAll;

// A real server on a free port, serving on its own thread until the fixture ends.
class Served {
 public:
  Served(HttpServerOptions options, HttpServer::Handler handler) {
    options.port = 0;
    auto started = StartHttpServer(options, std::move(handler));
    if (!started.ok()) throw std::runtime_error(started.status().ToString());
    server_ = std::move(*started);
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~Served() {
    server_->Stop();
    thread_.join();
  }
  uint16_t port() const { return server_->port(); }

 private:
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

api::HttpResponse Text(std::string body) {
  api::HttpResponse r;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

api::HttpResponse Echo(const api::HttpRequest& req) { return Text(req.method + " " + req.path); }

TEST(HttpServerTest, ServesManyRequestsOnOneKeepAliveConnection) {
  Served s({}, Echo);
  int fd = ConnectTo(s.port());
  ASSERT_GE(fd, 0);
  std::string pending;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(SendAll(fd, Get("/n/" + std::to_string(i))));
    auto res = ReadResponse(fd, pending);
    ASSERT_EQ(res.status, 200) << "request " << i;
    EXPECT_EQ(res.body, "GET /n/" + std::to_string(i));
  }
  ::close(fd);
}

TEST(HttpServerTest, AnswersPipelinedRequestsInOrder) {
  Served s({}, Echo);
  int fd = ConnectTo(s.port());
  std::string batch;
  for (int i = 0; i < 5; ++i) batch += Get("/p/" + std::to_string(i));
  batch += "POST /p/body HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc";
  ASSERT_TRUE(SendAll(fd, batch));
  std::string pending;
  for (int i = 0; i < 5; ++i) {
    auto res = ReadResponse(fd, pending);
    ASSERT_EQ(res.status, 200);
    EXPECT_EQ(res.body, "GET /p/" + std::to_string(i));
  }
  auto res = ReadResponse(fd, pending);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "POST /p/body");
  ::close(fd);
}

TEST(HttpServerTest, InvalidTargetIsA400AndTheConnectionGoesOn) {
  Served s({}, Echo);
  int fd = ConnectTo(s.port());
  std::string pending;
  ASSERT_TRUE(SendAll(fd, Get("/%ff")));
  auto bad = ReadResponse(fd, pending);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("path"), std::string::npos) << bad.body;
  ASSERT_TRUE(SendAll(fd, Get("/ok")));
  EXPECT_EQ(ReadResponse(fd, pending).status, 200);
  ::close(fd);
}

TEST(HttpServerTest, HeaderDeadlineClosesATricklingConnection) {
  HttpServerOptions o;
  o.header_timeout_s = 1;
  Served s(o, Echo);
  int fd = ConnectTo(s.port());
  ASSERT_TRUE(SendAll(fd, "GET / HTTP/1.1\r\n"));
  auto start = std::chrono::steady_clock::now();
  bool closed = false;
  // A byte every 200 ms: each one would reset a per-read timeout, but not the head's deadline.
  for (int i = 0; i < 20 && !closed; ++i) {
    if (!SendAll(fd, "X")) break;
    closed = ClosedWithin(fd, 200);
  }
  closed = closed || ClosedWithin(fd, 500);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(closed);
  EXPECT_LT(took, 3s);
  ::close(fd);
}

TEST(HttpServerTest, ServesFreshRequestsWhileTwoThousandIdleConnectionsAreOpen) {
  RaiseOpenFileLimit();
  Served s({}, Echo);
  std::vector<int> idle;
  for (int i = 0; i < 2000; ++i) {
    int fd = ConnectTo(s.port());
    ASSERT_GE(fd, 0) << "idle connection " << i;
    idle.push_back(fd);
  }
  int fd = ConnectTo(s.port());
  std::string pending;
  int ok = 0;
  for (int i = 0; i < 200; ++i) {
    if (!SendAll(fd, Get("/fresh"))) break;
    if (ReadResponse(fd, pending).status == 200) ++ok;
  }
  EXPECT_EQ(ok, 200);
  ::close(fd);
  for (int i : idle) ::close(i);
}

TEST(HttpServerTest, AtTheClientLimitTheOldestIdleConnectionMakesRoom) {
  HttpServerOptions o;
  o.max_connections_per_client = 20;
  o.io_threads = 1;  // sessions become idle in the order they were accepted
  Served s(o, Echo);
  std::vector<int> idle;
  for (int i = 0; i < 20; ++i) idle.push_back(ConnectTo(s.port()));
  std::this_thread::sleep_for(100ms);  // all accepted and idle
  int fd = ConnectTo(s.port());
  std::string pending;
  ASSERT_TRUE(SendAll(fd, Get("/new")));
  EXPECT_EQ(ReadResponse(fd, pending).status, 200);
  EXPECT_TRUE(ClosedWithin(idle.front(), 2000));
  EXPECT_FALSE(ClosedWithin(idle.back(), 100));
  ::close(fd);
  for (int i : idle) ::close(i);
}

TEST(HttpServerTest, RefusesWith503WhenNothingIdleCanBeClosed) {
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  HttpServerOptions o;
  o.max_connections = 2;
  Served s(o, [&](const api::HttpRequest& req) {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return release; });
    return Echo(req);
  });
  std::vector<int> busy;
  for (int i = 0; i < 2; ++i) {
    busy.push_back(ConnectTo(s.port()));
    SendAll(busy.back(), Get("/busy"));
  }
  std::this_thread::sleep_for(200ms);
  int fd = ConnectTo(s.port());
  std::string pending;
  auto res = ReadResponse(fd, pending);
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(res.headers["retry-after"], "1");
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  for (int b : busy) {
    std::string p;
    EXPECT_EQ(ReadResponse(b, p).status, 200);
    ::close(b);
  }
  ::close(fd);
}

TEST(HttpServerTest, FullWorkerQueueAnswers503WithRetryAfter) {
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  HttpServerOptions o;
  o.worker_threads = 1;
  o.worker_queue = 1;
  Served s(o, [&](const api::HttpRequest& req) {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return release; });
    return Echo(req);
  });
  int running = ConnectTo(s.port()), queued = ConnectTo(s.port()), refused = ConnectTo(s.port());
  SendAll(running, Get("/1"));
  std::this_thread::sleep_for(100ms);
  SendAll(queued, Get("/2"));
  std::this_thread::sleep_for(100ms);
  SendAll(refused, Get("/3"));
  std::string p3;
  auto res = ReadResponse(refused, p3);
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(res.headers["retry-after"], "1");
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  std::string p1, p2;
  EXPECT_EQ(ReadResponse(running, p1).status, 200);
  EXPECT_EQ(ReadResponse(queued, p2).status, 200);
  for (int fd : {running, queued, refused}) ::close(fd);
}

TEST(HttpServerTest, AThrowingHandlerAnswers500AndTheServerGoesOn) {
  Served s({}, [](const api::HttpRequest& req) -> api::HttpResponse {
    if (req.path == "/throw") throw std::runtime_error("boom");
    if (req.path == "/throw-int") throw 42;
    return Echo(req);
  });
  int fd = ConnectTo(s.port());
  std::string pending;
  for (const char* path : {"/throw", "/throw-int"}) {
    ASSERT_TRUE(SendAll(fd, Get(path)));
    auto res = ReadResponse(fd, pending);
    EXPECT_EQ(res.status, 500);
    EXPECT_NE(res.body.find("\"code\":\"internal\""), std::string::npos) << res.body;
  }
  ASSERT_TRUE(SendAll(fd, Get("/after")));
  EXPECT_EQ(ReadResponse(fd, pending).status, 200);
  ::close(fd);
}

TEST(HttpServerTest, StreamWaitsForASlowClientAndStopsWhenItLeaves) {
  std::atomic<int64_t> produced{0};
  std::atomic<bool> stopped{false};
  Served s({}, [&](const api::HttpRequest&) {
    api::HttpResponse r;
    r.content_type = "text/event-stream";
    r.stream = [&](api::StreamSink& sink) {
      std::string chunk(64 * 1024, 'x');
      while (sink.Write(chunk)) produced += static_cast<int64_t>(chunk.size());
      stopped = true;
    };
    return r;
  });
  int fd = ConnectTo(s.port());
  int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  ASSERT_TRUE(SendAll(fd, Get("/stream")));
  std::string got;
  ASSERT_TRUE(ReadSome(fd, got));  // the head and the first chunks
  // The client reads nothing more: once the socket buffers are full the producer must be held
  // back (its count stops moving), not queue up chunks in memory.
  int64_t last = -1;
  bool held = false;
  for (int i = 0; i < 30 && !held; ++i) {
    std::this_thread::sleep_for(300ms);
    int64_t now = produced;
    held = now == last;
    last = now;
  }
  EXPECT_TRUE(held);
  EXPECT_LT(last, 16 << 20);
  EXPECT_FALSE(stopped);
  ::close(fd);
  for (int i = 0; i < 100 && !stopped; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(stopped);
}

TEST(HttpServerTest, StreamEndsAndTheConnectionServesTheNextRequest) {
  Served s({}, [](const api::HttpRequest& req) {
    if (req.path != "/events") return Echo(req);
    api::HttpResponse r;
    r.content_type = "text/event-stream";
    r.stream = [](api::StreamSink& sink) {
      for (int i = 0; i < 3; ++i) sink.Write("data: " + std::to_string(i) + "\n\n");
    };
    return r;
  });
  int fd = ConnectTo(s.port());
  std::string pending;
  ASSERT_TRUE(SendAll(fd, Get("/events")));
  auto res = ReadResponse(fd, pending);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "data: 0\n\ndata: 1\n\ndata: 2\n\n");
  ASSERT_TRUE(SendAll(fd, Get("/next")));
  EXPECT_EQ(ReadResponse(fd, pending).body, "GET /next");
  ::close(fd);
}

// An upstream that records the request head and answers `reply`.
struct RecordingUpstream {
  std::mutex m;
  std::string seen;
  std::string reply;
  Listener listener{[this](int fd) {
    std::string in;
    while (in.find("\r\n\r\n") == std::string::npos) {
      if (!ReadSome(fd, in)) return;
    }
    {
      std::lock_guard lock(m);
      seen = in;
    }
    SendAll(fd, reply);
  }};
};

api::HttpResponse ProxyTo(uint16_t port, std::string target) {
  api::HttpResponse r;
  api::ProxyTarget p;
  p.host = "127.0.0.1";
  p.port = port;
  p.target = std::move(target);
  p.set_headers = {{"X-Corral-User", "alice"}};
  p.remove_headers = {"Authorization"};
  r.proxy = p;
  return r;
}

TEST(HttpServerTest, ProxiesAPlainRequestAndRelaysTheAnswer) {
  RecordingUpstream up;
  up.reply =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  uint16_t up_port = up.listener.port();
  Served s({}, [up_port](const api::HttpRequest& req) {
    if (req.path.rfind("/nb/", 0) == 0) return ProxyTo(up_port, "/inner" + req.target.substr(3));
    return Echo(req);
  });
  int fd = ConnectTo(s.port());
  std::string pending;
  ASSERT_TRUE(SendAll(fd, Get("/nb/api/status?x=%20", "Authorization: Bearer secret\r\n")));
  auto res = ReadResponse(fd, pending);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "hello world");
  {
    std::lock_guard lock(up.m);
    EXPECT_EQ(up.seen.rfind("GET /inner/api/status?x=%20 HTTP/1.1\r\n", 0), 0u) << up.seen;
    EXPECT_NE(up.seen.find("X-Corral-User: alice"), std::string::npos) << up.seen;
    EXPECT_EQ(up.seen.find("secret"), std::string::npos) << up.seen;
  }
  // The client's connection is served on after the relay.
  ASSERT_TRUE(SendAll(fd, Get("/after")));
  EXPECT_EQ(ReadResponse(fd, pending).body, "GET /after");
  ::close(fd);
}

TEST(HttpServerTest, ProxyToAnUnreachableUpstreamAnswers502) {
  uint16_t dead_port;
  {
    Listener gone([](int) {});
    dead_port = gone.port();
  }
  Served s({}, [dead_port](const api::HttpRequest&) { return ProxyTo(dead_port, "/"); });
  int fd = ConnectTo(s.port());
  std::string pending;
  ASSERT_TRUE(SendAll(fd, Get("/nb/x")));
  EXPECT_EQ(ReadResponse(fd, pending).status, 502);
  ::close(fd);
}

TEST(HttpServerTest, ProxiesAWebSocketUpgradeAndSplicesBytesBothWays) {
  Listener up([](int fd) {
    std::string in;
    while (in.find("\r\n\r\n") == std::string::npos) {
      if (!ReadSome(fd, in)) return;
    }
    if (in.find("Upgrade: websocket") == std::string::npos) return;
    SendAll(
        fd,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    std::string data;
    while (ReadSome(fd, data)) {
      SendAll(fd, "echo:" + data);
      data.clear();
    }
  });
  uint16_t up_port = up.port();
  Served s({}, [up_port](const api::HttpRequest& req) { return ProxyTo(up_port, req.target); });
  int fd = ConnectTo(s.port());
  ASSERT_TRUE(SendAll(fd, Get("/nb/api/kernels/k/channels",
                              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n")));
  std::string pending;
  auto res = ReadResponse(fd, pending);
  ASSERT_EQ(res.status, 101);
  ASSERT_TRUE(SendAll(fd, "frame-bytes"));
  while (pending.size() < std::string("echo:frame-bytes").size()) {
    ASSERT_TRUE(ReadSome(fd, pending));
  }
  EXPECT_EQ(pending, "echo:frame-bytes");
  ::close(fd);
}

// One masked client frame (RFC 6455 5.2), payload under 126 bytes.
std::string ClientFrame(std::string_view payload) {
  std::string f;
  f.push_back(static_cast<char>(0x82));  // FIN, binary
  f.push_back(static_cast<char>(0x80 | payload.size()));
  const char mask[4] = {0x11, 0x22, 0x33, 0x44};
  f.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) f.push_back(payload[i] ^ mask[i % 4]);
  return f;
}

TEST(HttpServerTest, TunnelsWebSocketMessagesToATcpService) {
  Listener echo([](int fd) {
    std::string data;
    while (ReadSome(fd, data)) {
      SendAll(fd, data);
      data.clear();
    }
  });
  uint16_t echo_port = echo.port();
  Served s({}, [echo_port](const api::HttpRequest&) {
    api::HttpResponse r;
    r.websocket_tunnel = api::TcpTunnelTarget{"127.0.0.1", echo_port};
    return r;
  });
  int fd = ConnectTo(s.port());
  ASSERT_TRUE(SendAll(fd, Get("/ssh",
                              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n")));
  std::string pending;
  auto res = ReadResponse(fd, pending);
  ASSERT_EQ(res.status, 101);
  EXPECT_EQ(res.headers["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  ASSERT_TRUE(SendAll(fd, ClientFrame("SSH-2.0-test")));
  std::string payload;
  while (payload.size() < 12) {
    while (pending.size() < 2) ASSERT_TRUE(ReadSome(fd, pending));
    size_t len = static_cast<unsigned char>(pending[1]) & 0x7f;
    ASSERT_LT(len, 126u);
    while (pending.size() < 2 + len) ASSERT_TRUE(ReadSome(fd, pending));
    EXPECT_EQ(static_cast<unsigned char>(pending[0]) & 0x0f, 0x2);  // binary
    payload += pending.substr(2, len);
    pending.erase(0, 2 + len);
  }
  EXPECT_EQ(payload, "SSH-2.0-test");
  ::close(fd);
}

TEST(HttpServerTest, TunnelWithoutAnUpgradeRequestIs400) {
  Served s({}, [](const api::HttpRequest&) {
    api::HttpResponse r;
    r.websocket_tunnel = api::TcpTunnelTarget{"127.0.0.1", 1};
    return r;
  });
  int fd = ConnectTo(s.port());
  std::string pending;
  ASSERT_TRUE(SendAll(fd, Get("/ssh")));
  EXPECT_EQ(ReadResponse(fd, pending).status, 400);
  ::close(fd);
}

}  // namespace
}  // namespace corral::server
