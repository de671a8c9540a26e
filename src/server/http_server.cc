#include <utility>  // before Asio: see NOTES (g++ 12 + Boost 1.74)

#include "server/http_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "common/log.h"

namespace corral::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

void SplitTarget(std::string_view target, api::HttpRequest& req) {
  size_t q = target.find('?');
  req.path = PercentDecode(target.substr(0, q), false);
  if (q == std::string_view::npos) return;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string key = PercentDecode(pair.substr(0, eq), true);
      std::string value =
          eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1), true);
      req.query.emplace(std::move(key), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

class ChunkSink final : public api::StreamSink {
 public:
  explicit ChunkSink(tcp::socket& socket) : socket_(socket) {}
  bool Write(std::string_view chunk) override {
    if (failed_) return false;
    if (chunk.empty()) return true;
    beast::error_code ec;
    net::write(socket_, http::make_chunk(net::buffer(chunk.data(), chunk.size())), ec);
    if (ec) failed_ = true;
    return !failed_;
  }

 private:
  tcp::socket& socket_;
  bool failed_ = false;
};

class BeastHttpServer final : public HttpServer {
 public:
  BeastHttpServer(HttpServerOptions options, Handler handler)
      : options_(std::move(options)), handler_(std::move(handler)), acceptor_(io_) {}

  Status Listen() {
    beast::error_code ec;
    auto address = net::ip::make_address(options_.host, ec);
    if (ec) return InvalidArgument("host", "not an IP address: " + options_.host);
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) ::fcntl(acceptor_.native_handle(), F_SETFD, FD_CLOEXEC);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status(StatusCode::kUnavailable, "cannot listen on " + options_.host + ":" +
                                                  std::to_string(options_.port) + ": " +
                                                  ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    return Status::Ok();
  }

  uint16_t port() const override { return port_; }

  void Run() override {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (stopping_) break;
      if (ec) {
        if (ec == net::error::operation_aborted || ec == net::error::bad_descriptor) break;
        continue;
      }
      if (active_.fetch_add(1) >= options_.max_connections) {
        active_.fetch_sub(1);
        RefuseBusy(socket);
        continue;
      }
      std::thread([this, s = std::move(socket)]() mutable {
        Serve(s);
        active_.fetch_sub(1);
      }).detach();
    }
  }

  void Stop() override {
    stopping_ = true;
    beast::error_code ec;
    // Wakes the blocking accept.
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    acceptor_.close(ec);
  }

 private:
  void RefuseBusy(tcp::socket& socket) {
    http::response<http::string_body> res{http::status::service_unavailable, 11};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::connection, "close");
    res.body() =
        R"({"error":{"code":"unavailable","message":"too many connections","details":{}}})";
    res.prepare_payload();
    beast::error_code ec;
    http::write(socket, res, ec);
  }

  void Serve(tcp::socket& socket) {
    ::fcntl(socket.native_handle(), F_SETFD, FD_CLOEXEC);
    struct timeval tv {};
    tv.tv_sec = options_.idle_timeout_s;
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::string remote;
    {
      beast::error_code ec;
      auto ep = socket.remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string();
    }
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options_.max_body_bytes);
      parser.header_limit(64 * 1024);
      beast::error_code ec;
      http::read(socket, buffer, parser, ec);
      if (ec == http::error::body_limit) {
        WriteSimple(socket, 413,
                    R"({"error":{"code":"resource_exhausted","message":"body: larger than )" +
                        std::to_string(options_.max_body_bytes) +
                        R"( bytes","details":{"field":"body"}}})",
                    false);
        return;
      }
      if (ec) {
        if (ec != http::error::end_of_stream && ec != net::error::eof &&
            ec != net::error::connection_reset && ec != net::error::would_block &&
            ec != net::error::timed_out && ec != net::error::try_again) {
          WriteSimple(
              socket, 400,
              R"({"error":{"code":"invalid_argument","message":"malformed HTTP request","details":{}}})",
              false);
        }
        return;
      }
      auto& msg = parser.get();
      api::HttpRequest req;
      req.method = std::string(msg.method_string());
      SplitTarget(std::string_view(msg.target().data(), msg.target().size()), req);
      for (auto& field : msg) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        req.headers[name] = std::string(field.value());
      }
      req.body = std::move(msg.body());
      req.remote = remote;
      bool keep_alive = msg.keep_alive();

      api::HttpResponse out = handler_(req);
      if (out.stream) {
        http::response<http::empty_body> res{static_cast<http::status>(out.status), 11};
        res.set(http::field::content_type, out.content_type);
        for (auto& [k, v] : out.headers) res.set(k, v);
        res.chunked(true);
        http::response_serializer<http::empty_body> sr{res};
        http::write_header(socket, sr, ec);
        if (ec) return;
        ChunkSink sink(socket);
        out.stream(sink);
        net::write(socket, http::make_chunk_last(), ec);
        if (ec) return;
        continue;
      }
      http::response<http::string_body> res{static_cast<http::status>(out.status), 11};
      res.set(http::field::content_type, out.content_type);
      for (auto& [k, v] : out.headers) res.set(k, v);
      res.body() = std::move(out.body);
      res.keep_alive(keep_alive);
      res.prepare_payload();
      http::write(socket, res, ec);
      if (ec || !keep_alive) return;
    }
  }

  void WriteSimple(tcp::socket& socket, int status, const std::string& body, bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    res.body() = body;
    res.keep_alive(keep_alive);
    res.prepare_payload();
    beast::error_code ec;
    http::write(socket, res, ec);
  }

  HttpServerOptions options_;
  Handler handler_;
  net::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> active_{0};
};

}  // namespace

Result<std::unique_ptr<HttpServer>> StartHttpServer(const HttpServerOptions& options,
                                                    HttpServer::Handler handler) {
  auto server = std::make_unique<BeastHttpServer>(options, std::move(handler));
  CORRAL_RETURN_IF_ERROR(server->Listen());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace corral::server
