#include "server/http_relay.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <limits>
#include <memory>
#include <sstream>

#include "api/error_response.h"
#include "common/log.h"

namespace corral::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr size_t kChunkBytes = 16 * 1024;

api::HttpResponse UpstreamError(int status, const std::string& what) {
  auto r = api::ErrorResponse(Status(StatusCode::kUnavailable, "upstream " + what));
  r.status = status;
  return r;
}

bool IsHopByHop(beast::string_view name) {
  static const beast::string_view kNames[] = {
      "connection", "keep-alive", "proxy-connection",  "te",
      "trailer",    "upgrade",    "transfer-encoding", "content-length"};
  for (auto n : kNames) {
    if (beast::iequals(name, n)) return true;
  }
  return false;
}

// What every relay shares: the upstream connection, a watchdog that ends the relay after a while
// without traffic, and handing the client connection back once no operation touches it.
class Relay : public std::enable_shared_from_this<Relay> {
 public:
  Relay(tcp::socket& client, RelayTimeouts timeouts, RelayDone done)
      : client_(client),
        upstream_(client.get_executor()),
        resolver_(client.get_executor()),
        watchdog_(client.get_executor()),
        timeouts_(timeouts),
        done_(std::move(done)) {}
  virtual ~Relay() {
    // The last handler has let go of the relay: the session may use its socket again.
    net::post(client_.get_executor(),
              [done = std::move(done_), end = std::move(end_)]() mutable { done(std::move(end)); });
  }

 protected:
  void Touch() { last_activity_ = Clock::now(); }

  void Connect(const std::string& host, uint16_t port, std::function<void()> then) {
    limit_ = timeouts_.connect;
    Touch();
    Watch();
    auto self = shared_from_this();
    resolver_.async_resolve(
        host, std::to_string(port),
        [self, then = std::move(then), host](error_code ec, tcp::resolver::results_type results) {
          if (ec) return self->Fail(502, host + " cannot be resolved: " + ec.message());
          net::async_connect(self->upstream_, results,
                             [self, then](error_code ec, const tcp::endpoint&) {
                               if (ec) return self->Fail(502, "cannot be reached: " + ec.message());
                               self->limit_ = self->timeouts_.idle;
                               self->Touch();
                               then();
                             });
        });
  }

  // Nothing was sent to the client yet: it gets an error answer instead.
  void Fail(int status, const std::string& what) {
    if (sent_to_client_) return Abort();
    log::Warn("proxy: {}", what);
    end_.reply = UpstreamError(status, what);
    StopUpstream();
  }

  // Ends the relay with the client connection closed.
  void Abort() {
    end_.keep_alive = false;
    end_.reply.reset();
    StopUpstream();
    error_code ec;
    client_.cancel(ec);
  }

  void Finish(bool keep_alive) {
    end_.keep_alive = keep_alive;
    StopUpstream();
  }

  tcp::socket& client_;
  tcp::socket upstream_;
  bool sent_to_client_ = false;

 private:
  void StopUpstream() {
    if (stopped_) return;
    stopped_ = true;
    watchdog_.cancel();
    resolver_.cancel();
    error_code ec;
    upstream_.shutdown(tcp::socket::shutdown_both, ec);
    upstream_.close(ec);
  }

  void Watch() {
    watchdog_.expires_at(last_activity_ + limit_);
    std::weak_ptr<Relay> weak = weak_from_this();
    watchdog_.async_wait([weak](error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopped_) return;
      if (Clock::now() - self->last_activity_ >= self->limit_) {
        return self->Fail(504, "did not answer in time");
      }
      self->Watch();
    });
  }

  tcp::resolver resolver_;
  net::steady_timer watchdog_;
  RelayTimeouts timeouts_;
  RelayDone done_;
  RelayEnd end_;
  Clock::time_point last_activity_ = Clock::now();
  Clock::duration limit_{};
  bool stopped_ = false;
};

class HttpRelay final : public Relay {
 public:
  HttpRelay(tcp::socket& client, beast::flat_buffer& client_buffer, const BeastRequest& request,
            const api::ProxyTarget& target, const std::string& remote, RelayTimeouts timeouts,
            RelayDone done)
      : Relay(client, timeouts, std::move(done)), client_buffer_(client_buffer), target_(target) {
    websocket_ = websocket::is_upgrade(request);
    head_request_ = request.method() == http::verb::head;
    client_keep_alive_ = request.keep_alive() && !websocket_;
    if (request.method() != http::verb::unknown) {
      up_.method(request.method());
    } else {
      up_.method_string(request.method_string());
    }
    up_.target(target.target);
    up_.version(11);
    for (const auto& field : request) {
      if (IsHopByHop(field.name_string())) continue;
      up_.insert(field.name_string(), field.value());
    }
    for (const auto& name : target.remove_headers) up_.erase(name);
    for (const auto& [name, value] : target.set_headers) up_.set(name, value);
    up_.set("X-Forwarded-For", remote);
    if (websocket_) {
      up_.set(http::field::connection, "Upgrade");
      up_.set(http::field::upgrade, request[http::field::upgrade]);
    } else {
      up_.keep_alive(false);
    }
    up_.body() = request.body();
    up_.prepare_payload();
  }

  void Start() {
    auto self = Self();
    Connect(target_.host, target_.port, [self] { self->SendRequest(); });
  }

 private:
  std::shared_ptr<HttpRelay> Self() {
    return std::static_pointer_cast<HttpRelay>(shared_from_this());
  }

  void SendRequest() {
    auto self = Self();
    http::async_write(upstream_, up_, [self](error_code ec, size_t) {
      if (ec) return self->Fail(502, "closed the connection: " + ec.message());
      self->Touch();
      self->ReadHead();
    });
  }

  void ReadHead() {
    parser_.emplace();
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    if (head_request_) parser_->skip(true);
    auto self = Self();
    http::async_read_header(upstream_, upstream_buffer_, *parser_, [self](error_code ec, size_t) {
      if (ec) return self->Fail(502, "sent no valid response: " + ec.message());
      self->Touch();
      if (self->websocket_ && self->parser_->get().result() == http::status::switching_protocols) {
        return self->StartSplice();
      }
      self->WriteHead();
    });
  }

  void WriteHead() {
    res_.base() = parser_->get().base();
    res_.erase(http::field::connection);
    res_.erase(http::field::keep_alive);
    res_.erase(http::field::transfer_encoding);
    res_.version(11);
    bool body_follows = !head_request_ && !parser_->is_done();
    if (body_follows && !parser_->content_length()) res_.chunked(true);
    res_.keep_alive(client_keep_alive_);
    res_.body().data = nullptr;
    res_.body().more = body_follows;
    serializer_.emplace(res_);
    auto self = Self();
    http::async_write_header(client_, *serializer_, [self, body_follows](error_code ec, size_t) {
      self->sent_to_client_ = true;
      if (ec) return self->Abort();
      self->Touch();
      if (!body_follows) return self->Finish(self->client_keep_alive_);
      self->ReadBody();
    });
  }

  void ReadBody() {
    auto& body = parser_->get().body();
    body.data = chunk_;
    body.size = sizeof chunk_;
    auto self = Self();
    http::async_read(upstream_, upstream_buffer_, *parser_, [self](error_code ec, size_t) {
      if (ec == http::error::need_buffer) ec = {};
      // The head is out: a broken body can only be told by closing the connection.
      if (ec) return self->Abort();
      self->Touch();
      size_t got = sizeof self->chunk_ - self->parser_->get().body().size;
      self->res_.body().data = got ? self->chunk_ : nullptr;
      self->res_.body().size = got;
      self->res_.body().more = !self->parser_->is_done();
      self->WriteBody();
    });
  }

  void WriteBody() {
    auto self = Self();
    http::async_write(client_, *serializer_, [self](error_code ec, size_t) {
      if (ec == http::error::need_buffer) ec = {};
      if (ec) return self->Abort();
      self->Touch();
      if (self->serializer_->is_done()) return self->Finish(self->client_keep_alive_);
      self->ReadBody();
    });
  }

  void StartSplice() {
    std::ostringstream head;
    head << parser_->get().base();
    to_client_ = head.str() + beast::buffers_to_string(upstream_buffer_.data());
    upstream_buffer_.consume(upstream_buffer_.size());
    auto self = Self();
    net::async_write(client_, net::buffer(to_client_), [self](error_code ec, size_t) {
      self->sent_to_client_ = true;
      if (ec) return self->Abort();
      self->Touch();
      self->UpstreamToClient();
      if (self->client_buffer_.size() > 0) {
        // What the client sent right behind its upgrade request belongs to the upstream.
        self->to_upstream_ = beast::buffers_to_string(self->client_buffer_.data());
        self->client_buffer_.consume(self->client_buffer_.size());
        net::async_write(self->upstream_, net::buffer(self->to_upstream_),
                         [self](error_code ec, size_t) {
                           if (ec) return self->Abort();
                           self->ClientToUpstream();
                         });
      } else {
        self->ClientToUpstream();
      }
    });
  }

  void ClientToUpstream() {
    auto self = Self();
    client_.async_read_some(net::buffer(from_client_), [self](error_code ec, size_t n) {
      if (ec) return self->Abort();
      self->Touch();
      net::async_write(self->upstream_, net::buffer(self->from_client_, n),
                       [self](error_code ec, size_t) {
                         if (ec) return self->Abort();
                         self->ClientToUpstream();
                       });
    });
  }

  void UpstreamToClient() {
    auto self = Self();
    upstream_.async_read_some(net::buffer(chunk_), [self](error_code ec, size_t n) {
      if (ec) return self->Abort();
      self->Touch();
      net::async_write(self->client_, net::buffer(self->chunk_, n), [self](error_code ec, size_t) {
        if (ec) return self->Abort();
        self->UpstreamToClient();
      });
    });
  }

  beast::flat_buffer& client_buffer_;
  api::ProxyTarget target_;
  BeastRequest up_;
  beast::flat_buffer upstream_buffer_;
  std::optional<http::response_parser<http::buffer_body>> parser_;
  http::response<http::buffer_body> res_;
  std::optional<http::response_serializer<http::buffer_body>> serializer_;
  std::string to_client_, to_upstream_;
  char chunk_[kChunkBytes];
  char from_client_[kChunkBytes];
  bool websocket_ = false;
  bool head_request_ = false;
  bool client_keep_alive_ = false;
};

class WebSocketTunnel final : public Relay {
 public:
  WebSocketTunnel(tcp::socket& client, const BeastRequest& request,
                  const api::TcpTunnelTarget& target, RelayTimeouts timeouts, RelayDone done)
      : Relay(client, timeouts, std::move(done)), request_(request), target_(target), ws_(client) {}

  void Start() {
    auto self = Self();
    Connect(target_.host, target_.port, [self] { self->Accept(); });
  }

 private:
  std::shared_ptr<WebSocketTunnel> Self() {
    return std::static_pointer_cast<WebSocketTunnel>(shared_from_this());
  }

  void Accept() {
    ws_.read_message_max(1 << 20);
    ws_.binary(true);
    auto self = Self();
    ws_.async_accept(request_, [self](error_code ec) {
      self->sent_to_client_ = true;
      if (ec) return self->Abort();
      self->Touch();
      self->FromClient();
      self->FromTarget();
    });
  }

  void FromClient() {
    auto self = Self();
    ws_.async_read(message_, [self](error_code ec, size_t) {
      if (ec) return self->Abort();
      self->Touch();
      net::async_write(self->upstream_, self->message_.data(), [self](error_code ec, size_t n) {
        if (ec) return self->Abort();
        self->message_.consume(n);
        self->FromClient();
      });
    });
  }

  void FromTarget() {
    auto self = Self();
    upstream_.async_read_some(net::buffer(chunk_), [self](error_code ec, size_t n) {
      if (ec == net::error::eof) {
        // The target ended the stream: say so to the client with a normal close.
        return self->ws_.async_close(websocket::close_code::normal,
                                     [self](error_code) { self->Abort(); });
      }
      if (ec) return self->Abort();
      self->Touch();
      self->ws_.async_write(net::buffer(self->chunk_, n), [self](error_code ec, size_t) {
        if (ec) return self->Abort();
        self->FromTarget();
      });
    });
  }

  BeastRequest request_;
  api::TcpTunnelTarget target_;
  websocket::stream<tcp::socket&> ws_;
  beast::flat_buffer message_;
  char chunk_[kChunkBytes];
};

}  // namespace

void RelayHttp(tcp::socket& client, beast::flat_buffer& client_buffer, const BeastRequest& request,
               const api::ProxyTarget& target, const std::string& remote, RelayTimeouts timeouts,
               RelayDone done) {
  std::make_shared<HttpRelay>(client, client_buffer, request, target, remote, timeouts,
                              std::move(done))
      ->Start();
}

void RelayWebSocketToTcp(tcp::socket& client, const BeastRequest& request,
                         const api::TcpTunnelTarget& target, RelayTimeouts timeouts,
                         RelayDone done) {
  std::make_shared<WebSocketTunnel>(client, request, target, timeouts, std::move(done))->Start();
}

}  // namespace corral::server
