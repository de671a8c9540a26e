// The CLI's only Boost.Beast file: `corral ssh-proxy` speaks WebSocket to the server's SSH tunnel.
#include <utility>  // before Asio: see NOTES (g++ 12 + Boost 1.74)

#include <unistd.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <functional>

#include "cli/notebook_commands.h"

namespace corral::cli {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

struct ServerAddress {
  std::string host, port, base;
};

Result<ServerAddress> ParseHttpUrl(const std::string& url) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0)
    return InvalidArgument("url", "the SSH tunnel needs an http:// server URL, not " + url);
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  ServerAddress a;
  a.base = slash == std::string::npos ? "" : rest.substr(slash);
  while (!a.base.empty() && a.base.back() == '/') a.base.pop_back();
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    a.host = authority.substr(0, colon);
    a.port = authority.substr(colon + 1);
  } else {
    a.host = authority;
    a.port = "80";
  }
  return a;
}

Status FromHandshake(int status, const std::string& body) {
  std::string why = body.empty() ? "HTTP " + std::to_string(status) : body;
  switch (status) {
    case 401:
      return Status(StatusCode::kUnauthenticated, why);
    case 403:
      return Status(StatusCode::kPermissionDenied, why);
    case 404:
      return NotFound(why);
    default:
      return Status(StatusCode::kUnavailable, why);
  }
}

}  // namespace

Status BridgeStdioToWebSocket(const std::string& url, const std::string& path,
                              const std::string& token) {
  CORRAL_ASSIGN_OR_RETURN(ServerAddress address, ParseHttpUrl(url));
  try {
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    websocket::stream<tcp::socket> ws(ioc);
    net::connect(ws.next_layer(), resolver.resolve(address.host, address.port));
    ws.next_layer().set_option(tcp::no_delay(true));
    ws.set_option(websocket::stream_base::decorator([&token](websocket::request_type& req) {
      req.set(beast::http::field::authorization, "Bearer " + token);
    }));
    websocket::response_type response;
    beast::error_code ec;
    ws.handshake(response, address.host + ":" + address.port, address.base + path, ec);
    if (ec) {
      if (response.result_int() != 0 && response.result_int() != 101)
        return FromHandshake(response.result_int(), response.body());
      return Status(StatusCode::kUnavailable, "WebSocket handshake: " + ec.message());
    }
    ws.binary(true);
    net::posix::stream_descriptor in(ioc, ::dup(STDIN_FILENO));
    net::posix::stream_descriptor out(ioc, ::dup(STDOUT_FILENO));
    std::array<char, 64 * 1024> in_buffer;
    beast::flat_buffer ws_buffer;
    std::string failure;
    std::function<void()> read_stdin, read_ws;
    read_stdin = [&] {
      in.async_read_some(net::buffer(in_buffer), [&](beast::error_code e, size_t n) {
        if (e) {  // end of input: say goodbye; the server's close ends the read side
          ws.async_close(websocket::close_code::normal, [](beast::error_code) {});
          return;
        }
        ws.async_write(net::buffer(in_buffer.data(), n), [&](beast::error_code we, size_t) {
          if (we) {
            failure = we.message();
            ioc.stop();
            return;
          }
          read_stdin();
        });
      });
    };
    read_ws = [&] {
      ws.async_read(ws_buffer, [&](beast::error_code e, size_t) {
        if (e) {
          if (e != websocket::error::closed && e != net::error::eof &&
              e != net::error::operation_aborted)
            failure = e.message();
          ioc.stop();
          return;
        }
        net::async_write(out, ws_buffer.data(), [&](beast::error_code we, size_t) {
          ws_buffer.consume(ws_buffer.size());
          if (we) {
            ioc.stop();
            return;
          }
          read_ws();
        });
      });
    };
    read_stdin();
    read_ws();
    ioc.run();
    if (!failure.empty()) return Status(StatusCode::kUnavailable, failure);
    return Status::Ok();
  } catch (const std::exception& e) {
    return Status(StatusCode::kUnavailable, std::string("cannot reach ") + url + ": " + e.what());
  }
}

}  // namespace corral::cli
