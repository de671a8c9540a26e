#include <utility>  // before Asio: see NOTES (g++ 12 + Boost 1.74)

#include "server/http_server.h"

#include <fcntl.h>
#include <sys/resource.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <condition_variable>
#include <list>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "api/error_response.h"
#include "common/log.h"
#include "server/http_relay.h"
#include "server/request_target.h"
#include "server/worker_pool.h"

namespace corral::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

constexpr size_t kHeaderLimit = 64 * 1024;
constexpr size_t kReadChunk = 4096;
// What a client may send ahead while a stream answers it (pipelined requests), before reading
// pauses.
constexpr size_t kMaxBufferedDuringStream = 64 * 1024;

api::HttpResponse Busy(const std::string& what) {
  auto r = api::ErrorResponse(Status(StatusCode::kUnavailable, what));
  r.headers.push_back({"Retry-After", "1"});
  return r;
}

std::string RefusalText() {
  std::string body =
      R"({"error":{"code":"unavailable","message":"too many connections","details":{}}})";
  return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: "
         "1\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

bool IsHttpParseError(const error_code& ec) {
  return ec.category() == make_error_code(http::error::bad_target).category();
}

class Session;

// A streamed response's producer thread and the connection that carries it meet here. `gone`
// (client disconnected, or the server stopping) makes every later Write return false at once.
struct StreamChannel {
  std::mutex mutex;
  std::condition_variable cv;
  bool gone = false;
  bool writing = false;
  net::any_io_executor executor;
  std::weak_ptr<Session> session;

  void SetGone() {
    std::lock_guard lock(mutex);
    gone = true;
    cv.notify_all();
  }
  void Written() {
    std::lock_guard lock(mutex);
    writing = false;
    cv.notify_all();
  }
  template <class F>
  bool Post(F fn);
};

// Live streams, shared with their threads, which may outlive the server.
struct StreamRegistry {
  explicit StreamRegistry(size_t max) : max_streams(max) {}
  std::shared_ptr<StreamChannel> Open(net::any_io_executor executor, std::weak_ptr<Session> s) {
    std::lock_guard lock(mutex);
    if (closed || channels.size() >= max_streams) return nullptr;
    auto ch = std::make_shared<StreamChannel>();
    ch->executor = std::move(executor);
    ch->session = std::move(s);
    channels.insert(ch);
    return ch;
  }
  void Forget(const std::shared_ptr<StreamChannel>& ch) {
    std::lock_guard lock(mutex);
    channels.erase(ch);
  }
  void CloseAll() {
    std::lock_guard lock(mutex);
    closed = true;
    for (auto& ch : channels) ch->SetGone();
  }
  std::mutex mutex;
  size_t max_streams;
  bool closed = false;
  std::set<std::shared_ptr<StreamChannel>> channels;
};

class ChannelSink final : public api::StreamSink {
 public:
  explicit ChannelSink(std::shared_ptr<StreamChannel> channel) : channel_(std::move(channel)) {}
  bool Write(std::string_view chunk) override;

 private:
  std::shared_ptr<StreamChannel> channel_;
};

class BeastHttpServer;

// One client connection. Every member is touched only on the connection's executor, except the
// fields marked as guarded by the server's registry mutex.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(BeastHttpServer& server, tcp::socket socket, std::string remote);
  ~Session();

  void Start();
  void Close();
  net::any_io_executor executor() { return socket_.get_executor(); }
  void WriteStreamChunk(std::string data);
  void FinishStream();

  // Guarded by the server's registry mutex.
  const std::string remote_;
  bool registered_ = true;
  bool in_idle_ = false;
  std::list<Session*>::iterator idle_pos_;

 private:
  void ArmDeadline(int seconds);
  void WaitForRequest(bool fresh);
  void ReadHeader();
  void ReadBody();
  void OnReadError(const error_code& ec);
  void Dispatch();
  void OnHandled(api::HttpResponse res);
  void Respond(api::HttpResponse res);
  void AfterRelay(RelayEnd end);
  void StartStream(api::HttpResponse res);
  void ReadDuringStream();
  void AfterStream();

  BeastHttpServer& server_;
  tcp::socket socket_;
  net::steady_timer deadline_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  BeastRequest request_;
  bool keep_alive_ = false;
  bool closed_ = false;
  std::shared_ptr<StreamChannel> channel_;
  // A stream's connection owns itself until the stream ends: nothing else may hold it between
  // writes.
  std::shared_ptr<Session> stream_hold_;
  std::string stream_out_;
  bool read_pending_ = false;
  bool stream_finished_ = false;
};

class BeastHttpServer final : public HttpServer {
 public:
  BeastHttpServer(HttpServerOptions options, Handler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        pool_(std::max(1, options_.worker_threads),
              static_cast<size_t>(std::max(1, options_.worker_queue))),
        streams_(std::make_shared<StreamRegistry>(std::max(0, options_.max_streams))),
        refusal_(RefusalText()) {
    int n = std::max(1, options_.io_threads);
    for (int i = 0; i < n; ++i) {
      ios_.push_back(std::make_unique<net::io_context>(1));
      guards_.emplace_back(ios_.back()->get_executor());
    }
    acceptor_.emplace(*ios_[0]);
    accept_retry_.emplace(*ios_[0]);
  }

  ~BeastHttpServer() override {
    Stop();
    streams_->CloseAll();
  }

  Status Listen() {
    error_code ec;
    auto address = net::ip::make_address(options_.host, ec);
    if (ec) return InvalidArgument("host", "not an IP address: " + options_.host);
    tcp::endpoint endpoint(address, options_.port);
    acceptor_->open(endpoint.protocol(), ec);
    if (!ec) acceptor_->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) ::fcntl(acceptor_->native_handle(), F_SETFD, FD_CLOEXEC);
    if (!ec) acceptor_->bind(endpoint, ec);
    if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status(StatusCode::kUnavailable, "cannot listen on " + options_.host + ":" +
                                                  std::to_string(options_.port) + ": " +
                                                  ec.message());
    }
    port_ = acceptor_->local_endpoint().port();
    return Status::Ok();
  }

  uint16_t port() const override { return port_; }

  void Run() override {
    net::post(*ios_[0], [this] { Accept(); });
    std::vector<std::thread> threads;
    for (size_t i = 1; i < ios_.size(); ++i) threads.emplace_back([this, i] { RunIo(*ios_[i]); });
    RunIo(*ios_[0]);
    for (auto& t : threads) t.join();
    pool_.Stop();
    streams_->CloseAll();
  }

  void Stop() override {
    for (auto& io : ios_) io->stop();
  }

  int64_t open_connections() override {
    std::lock_guard lock(registry_mutex_);
    return total_;
  }

  const HttpServerOptions& options() const { return options_; }
  WorkerPool& pool() { return pool_; }
  const std::shared_ptr<StreamRegistry>& streams() const { return streams_; }
  RelayTimeouts relay_timeouts() const {
    RelayTimeouts t;
    t.idle = std::chrono::seconds(options_.tunnel_idle_timeout_s);
    return t;
  }

  // The handler, behind the barrier: nothing it throws reaches the connection or the thread.
  api::HttpResponse CallHandler(const api::HttpRequest& request) {
    try {
      return handler_(request);
    } catch (const std::exception& e) {
      log::Error("{} {}: the handler threw: {}", request.method, request.path, e.what());
    } catch (...) {
      log::Error("{} {}: the handler threw a non-standard exception", request.method, request.path);
    }
    return api::ErrorResponse(Internal("internal error while serving this request"));
  }

  void MarkIdle(Session* s) {
    std::lock_guard lock(registry_mutex_);
    if (!s->registered_ || s->in_idle_) return;
    idle_.push_back(s);
    s->idle_pos_ = std::prev(idle_.end());
    s->in_idle_ = true;
  }

  void MarkBusy(Session* s) {
    std::lock_guard lock(registry_mutex_);
    if (!s->in_idle_) return;
    idle_.erase(s->idle_pos_);
    s->in_idle_ = false;
  }

  void Unregister(Session* s) {
    std::lock_guard lock(registry_mutex_);
    UnregisterLocked(s);
  }

 private:
  static void RunIo(net::io_context& io) {
    // The I/O threads' own barrier: a handler that throws is logged and the loop goes on.
    for (;;) {
      try {
        io.run();
        return;
      } catch (const std::exception& e) {
        log::Error("http I/O thread: {}", e.what());
      } catch (...) {
        log::Error("http I/O thread: a non-standard exception");
      }
    }
  }

  void Accept() {
    auto& io = *ios_[next_io_++ % ios_.size()];
    acceptor_->async_accept(io, [this](error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor_->is_open()) return;
      if (ec) {
        // Out of descriptors, typically: make room, and try again shortly instead of spinning.
        log::Warn("accepting a connection: {}", ec.message());
        EvictOldestIdle(nullptr);
        accept_retry_->expires_after(std::chrono::milliseconds(50));
        accept_retry_->async_wait([this](error_code ec) {
          if (!ec) Accept();
        });
        return;
      }
      OnAccepted(std::move(socket));
      Accept();
    });
  }

  void OnAccepted(tcp::socket socket) {
    error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    if (ec) return;
    // Jobs are spawned by this process: no client socket may leak into them.
    ::fcntl(socket.native_handle(), F_SETFD, FD_CLOEXEC);
    socket.set_option(tcp::no_delay(true), ec);
    std::string remote = endpoint.address().to_string();
    if (!Admit(remote)) {
      Refuse(std::move(socket));
      return;
    }
    auto session = std::make_shared<Session>(*this, std::move(socket), std::move(remote));
    net::post(session->executor(), [session] { session->Start(); });
  }

  // Counts the connection in, making room by closing the oldest idle connection (the client's
  // own first) when a limit is reached. False: nothing idle to close, refuse.
  bool Admit(const std::string& remote) {
    std::vector<std::shared_ptr<Session>> evicted;
    bool admitted = true;
    {
      std::lock_guard lock(registry_mutex_);
      auto it = per_client_.find(remote);
      int from_client = it == per_client_.end() ? 0 : it->second;
      if (from_client >= options_.max_connections_per_client && !EvictLocked(&remote, evicted)) {
        admitted = false;
      } else if (total_ >= options_.max_connections && !EvictLocked(nullptr, evicted)) {
        admitted = false;
      }
      if (admitted) {
        ++total_;
        ++per_client_[remote];
      }
    }
    for (auto& s : evicted) net::post(s->executor(), [s] { s->Close(); });
    if (!admitted) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_refusal_log_ > std::chrono::seconds(10)) {
        last_refusal_log_ = now;
        log::Warn("connection limit reached with no idle connection to close: refusing {}", remote);
      }
    }
    return admitted;
  }

  void EvictOldestIdle(const std::string* remote) {
    std::vector<std::shared_ptr<Session>> evicted;
    {
      std::lock_guard lock(registry_mutex_);
      EvictLocked(remote, evicted);
    }
    for (auto& s : evicted) net::post(s->executor(), [s] { s->Close(); });
  }

  bool EvictLocked(const std::string* remote, std::vector<std::shared_ptr<Session>>& out) {
    for (Session* s : idle_) {
      if (remote && s->remote_ != *remote) continue;
      UnregisterLocked(s);
      // Null while the session is being destroyed: its slot is free all the same.
      if (auto alive = s->weak_from_this().lock()) out.push_back(std::move(alive));
      return true;
    }
    return false;
  }

  void UnregisterLocked(Session* s) {
    if (s->in_idle_) {
      idle_.erase(s->idle_pos_);
      s->in_idle_ = false;
    }
    if (!s->registered_) return;
    s->registered_ = false;
    --total_;
    auto it = per_client_.find(s->remote_);
    if (it != per_client_.end() && --it->second <= 0) per_client_.erase(it);
  }

  void Refuse(tcp::socket socket) {
    auto s = std::make_shared<tcp::socket>(std::move(socket));
    net::async_write(*s, net::buffer(refusal_), [s](error_code, size_t) {
      error_code ec;
      s->shutdown(tcp::socket::shutdown_send, ec);
      s->close(ec);
    });
  }

  HttpServerOptions options_;
  Handler handler_;
  WorkerPool pool_;
  std::shared_ptr<StreamRegistry> streams_;
  const std::string refusal_;
  uint16_t port_ = 0;

  std::mutex registry_mutex_;
  int total_ = 0;
  std::unordered_map<std::string, int> per_client_;
  std::list<Session*> idle_;  // oldest first
  std::chrono::steady_clock::time_point last_refusal_log_{};

  // Declared last, destroyed first: sessions die with their I/O context while the registry is
  // still there.
  std::vector<std::unique_ptr<net::io_context>> ios_;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<net::steady_timer> accept_retry_;
  size_t next_io_ = 0;
};

template <class F>
bool StreamChannel::Post(F fn) {
  std::lock_guard lock(mutex);
  if (gone) return false;
  net::post(executor, [weak = session, fn = std::move(fn)]() mutable {
    if (auto s = weak.lock()) fn(*s);
  });
  return true;
}

bool ChannelSink::Write(std::string_view chunk) {
  if (chunk.empty()) {
    std::lock_guard lock(channel_->mutex);
    return !channel_->gone;
  }
  std::ostringstream framed;
  framed << std::hex << chunk.size() << "\r\n" << chunk << "\r\n";
  {
    std::lock_guard lock(channel_->mutex);
    if (channel_->gone) return false;
    channel_->writing = true;
  }
  if (!channel_->Post(
          [data = framed.str()](Session& s) mutable { s.WriteStreamChunk(std::move(data)); })) {
    return false;
  }
  std::unique_lock lock(channel_->mutex);
  channel_->cv.wait(lock, [this] { return !channel_->writing || channel_->gone; });
  return !channel_->gone;
}

Session::Session(BeastHttpServer& server, tcp::socket socket, std::string remote)
    : remote_(std::move(remote)),
      server_(server),
      socket_(std::move(socket)),
      deadline_(socket_.get_executor()) {}

Session::~Session() {
  server_.Unregister(this);
  if (channel_) channel_->SetGone();
}

void Session::Start() {
  // A new connection has header_timeout_s for its whole first request head.
  ArmDeadline(server_.options().header_timeout_s);
  WaitForRequest(true);
}

void Session::Close() {
  if (closed_) return;
  closed_ = true;
  deadline_.cancel();
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  server_.Unregister(this);
  if (channel_) channel_->SetGone();
  // May release the last reference: nothing touches *this after.
  auto hold = std::move(stream_hold_);
}

void Session::ArmDeadline(int seconds) {
  deadline_.expires_after(std::chrono::seconds(seconds));
  deadline_.async_wait([weak = weak_from_this()](error_code ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->Close();
  });
}

void Session::WaitForRequest(bool fresh) {
  if (closed_) return;
  const auto& o = server_.options();
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(o.max_body_bytes);
  if (buffer_.size() > 0) {
    // A pipelined request is already here.
    if (!fresh) ArmDeadline(o.header_timeout_s);
    ReadHeader();
    return;
  }
  // Idle until the first byte; only now may the connection be closed to make room.
  server_.MarkIdle(this);
  if (!fresh) ArmDeadline(o.idle_timeout_s);
  socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this(), fresh](error_code ec) {
    self->server_.MarkBusy(self.get());
    if (ec || self->closed_) return self->Close();
    // From the first byte on, the head has header_timeout_s; trickling bytes do not extend it.
    if (!fresh) self->ArmDeadline(self->server_.options().header_timeout_s);
    self->ReadHeader();
  });
}

void Session::ReadHeader() {
  http::async_read_header(socket_, buffer_, *parser_,
                          [self = shared_from_this()](error_code ec, size_t) {
                            if (ec) return self->OnReadError(ec);
                            if (self->parser_->is_done()) return self->Dispatch();
                            auto& head = self->parser_->get();
                            if (beast::iequals(head[http::field::expect], "100-continue")) {
                              static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
                              return net::async_write(self->socket_, net::buffer(kContinue),
                                                      [self](error_code ec, size_t) {
                                                        if (ec) return self->Close();
                                                        self->ReadBody();
                                                      });
                            }
                            self->ReadBody();
                          });
}

void Session::ReadBody() {
  ArmDeadline(server_.options().body_timeout_s);
  http::async_read(socket_, buffer_, *parser_, [self = shared_from_this()](error_code ec, size_t) {
    if (ec) return self->OnReadError(ec);
    self->Dispatch();
  });
}

void Session::OnReadError(const error_code& ec) {
  if (closed_) return;
  keep_alive_ = false;
  if (ec == http::error::body_limit) {
    return Respond(api::ErrorResponse(Status(
        StatusCode::kResourceExhausted,
        "larger than " + std::to_string(server_.options().max_body_bytes) + " bytes", "body")));
  }
  if (ec == http::error::header_limit) {
    return Respond(api::ErrorResponse(InvalidArgument(
        "headers", "the request head is larger than " + std::to_string(kHeaderLimit) + " bytes")));
  }
  if (IsHttpParseError(ec) && ec != http::error::end_of_stream &&
      ec != http::error::partial_message) {
    return Respond(
        api::ErrorResponse(InvalidArgument("request", "malformed HTTP request: " + ec.message())));
  }
  Close();
}

void Session::Dispatch() {
  deadline_.cancel();
  request_ = parser_->release();
  keep_alive_ = request_.keep_alive();
  api::HttpRequest req;
  req.method = std::string(request_.method_string());
  auto target = request_.target();
  if (Status s = ParseRequestTarget(std::string_view(target.data(), target.size()), req); !s.ok()) {
    return Respond(api::ErrorResponse(s));
  }
  for (const auto& field : request_) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers[name] = std::string(field.value());
  }
  req.body = std::move(request_.body());
  req.remote = remote_;
  auto self = shared_from_this();
  bool queued = server_.pool().TrySubmit([self, req = std::move(req)]() mutable {
    api::HttpResponse res = self->server_.CallHandler(req);
    net::post(self->executor(), [self, res = std::move(res), body = std::move(req.body)]() mutable {
      // A proxied request is forwarded with its body.
      self->request_.body() = std::move(body);
      self->OnHandled(std::move(res));
    });
  });
  if (!queued) Respond(Busy("server busy: too many requests waiting; retry shortly"));
}

void Session::OnHandled(api::HttpResponse res) {
  if (closed_) return;
  auto self = shared_from_this();
  auto after = [self](RelayEnd end) { self->AfterRelay(std::move(end)); };
  if (res.websocket_tunnel) {
    if (!beast::websocket::is_upgrade(request_)) {
      return Respond(api::ErrorResponse(
          InvalidArgument("upgrade", "this endpoint takes a WebSocket upgrade request")));
    }
    return RelayWebSocketToTcp(socket_, request_, *res.websocket_tunnel, server_.relay_timeouts(),
                               after);
  }
  if (res.proxy) {
    return RelayHttp(socket_, buffer_, request_, *res.proxy, remote_, server_.relay_timeouts(),
                     after);
  }
  if (res.stream) return StartStream(std::move(res));
  Respond(std::move(res));
}

void Session::AfterRelay(RelayEnd end) {
  if (closed_) return;
  if (end.reply) {
    keep_alive_ = keep_alive_ && end.keep_alive;
    return Respond(std::move(*end.reply));
  }
  if (!end.keep_alive) return Close();
  WaitForRequest(false);
}

void Session::Respond(api::HttpResponse res) {
  if (closed_) return;
  auto msg = std::make_shared<http::response<http::string_body>>(
      static_cast<http::status>(res.status), 11);
  msg->set(http::field::content_type, res.content_type);
  for (auto& [name, value] : res.headers) msg->insert(name, value);
  msg->body() = std::move(res.body);
  msg->keep_alive(keep_alive_);
  msg->prepare_payload();
  ArmDeadline(server_.options().write_timeout_s);
  http::async_write(socket_, *msg, [self = shared_from_this(), msg](error_code ec, size_t) {
    self->deadline_.cancel();
    if (ec || !self->keep_alive_) return self->Close();
    self->WaitForRequest(false);
  });
}

void Session::StartStream(api::HttpResponse res) {
  channel_ = server_.streams()->Open(executor(), weak_from_this());
  if (!channel_) return Respond(Busy("too many open streams; retry shortly"));
  stream_hold_ = shared_from_this();
  http::response<http::empty_body> head{static_cast<http::status>(res.status), 11};
  head.set(http::field::content_type, res.content_type);
  for (auto& [name, value] : res.headers) head.insert(name, value);
  head.chunked(true);
  head.keep_alive(keep_alive_);
  std::ostringstream text;
  text << head.base();
  stream_out_ = text.str();
  ArmDeadline(server_.options().write_timeout_s);
  net::async_write(
      socket_, net::buffer(stream_out_),
      [self = shared_from_this(), produce = std::move(res.stream)](error_code ec, size_t) mutable {
        self->deadline_.cancel();
        if (ec) return self->Close();
        // Reading on lets a disconnect be noticed while the producer has nothing to write.
        self->ReadDuringStream();
        auto channel = self->channel_;
        auto registry = self->server_.streams();
        std::thread([channel, registry, produce = std::move(produce)] {
          ChannelSink sink(channel);
          try {
            produce(sink);
          } catch (const std::exception& e) {
            log::Error("a streamed response threw: {}", e.what());
          } catch (...) {
            log::Error("a streamed response threw a non-standard exception");
          }
          channel->Post([](Session& s) { s.FinishStream(); });
          registry->Forget(channel);
        }).detach();
      });
}

void Session::ReadDuringStream() {
  if (buffer_.size() >= kMaxBufferedDuringStream) return;
  read_pending_ = true;
  socket_.async_read_some(buffer_.prepare(kReadChunk),
                          [self = shared_from_this()](error_code ec, size_t n) {
                            self->read_pending_ = false;
                            if (!ec) self->buffer_.commit(n);
                            if (self->stream_finished_) return self->AfterStream();
                            if (ec) return self->Close();
                            self->ReadDuringStream();
                          });
}

void Session::WriteStreamChunk(std::string data) {
  if (closed_) return;
  stream_out_ = std::move(data);
  ArmDeadline(server_.options().write_timeout_s);
  net::async_write(socket_, net::buffer(stream_out_),
                   [self = shared_from_this()](error_code ec, size_t) {
                     self->deadline_.cancel();
                     if (ec) return self->Close();
                     self->channel_->Written();
                   });
}

void Session::FinishStream() {
  if (closed_) return;
  stream_out_ = "0\r\n\r\n";
  ArmDeadline(server_.options().write_timeout_s);
  net::async_write(socket_, net::buffer(stream_out_),
                   [self = shared_from_this()](error_code ec, size_t) {
                     self->deadline_.cancel();
                     if (ec || !self->keep_alive_) return self->Close();
                     self->stream_finished_ = true;
                     if (self->read_pending_) {
                       // The read's handler goes on with the next request.
                       error_code ignored;
                       self->socket_.cancel(ignored);
                       return;
                     }
                     self->AfterStream();
                   });
}

void Session::AfterStream() {
  stream_finished_ = false;
  channel_.reset();
  auto hold = std::move(stream_hold_);
  WaitForRequest(false);
}

}  // namespace

Result<std::unique_ptr<HttpServer>> StartHttpServer(const HttpServerOptions& options,
                                                    HttpServer::Handler handler) {
  RaiseOpenFileLimit();
  auto server = std::make_unique<BeastHttpServer>(options, std::move(handler));
  CORRAL_RETURN_IF_ERROR(server->Listen());
  return std::unique_ptr<HttpServer>(std::move(server));
}

uint64_t RaiseOpenFileLimit() {
  struct rlimit limit {};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    struct rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur;
}

}  // namespace corral::server
