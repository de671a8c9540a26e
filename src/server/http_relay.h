#pragma once

// Internal to server/: the Beast side of api::ProxyTarget and api::TcpTunnelTarget. Only the
// HTTP server's .cc files include this.
#include <utility>  // before Asio: see NOTES (g++ 12 + Boost 1.74)

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <optional>

#include "api/http_types.h"

namespace corral::server {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;

struct RelayTimeouts {
  std::chrono::seconds connect{10};
  // No byte either way for this long ends a relay (the upstream's answer, a spliced WebSocket or
  // a tunnel).
  std::chrono::seconds idle{3600};
};

// How a relay left the client connection. With `reply`, nothing was sent to the client yet and
// the caller answers with it (e.g. 502 when the upstream cannot be reached).
struct RelayEnd {
  bool keep_alive = false;
  std::optional<api::HttpResponse> reply;
};
using RelayDone = std::function<void(RelayEnd)>;

// Forwards `request` (its body already read) to the upstream and relays the answer to `client`,
// streaming the body. With `Upgrade: websocket` and a 101 from the upstream, splices bytes both
// ways until either side closes; `client_buffer` holds what the client sent past the request.
// `done` runs on the client's executor once no operation of the relay touches `client` any more.
void RelayHttp(boost::asio::ip::tcp::socket& client, boost::beast::flat_buffer& client_buffer,
               const BeastRequest& request, const api::ProxyTarget& target,
               const std::string& remote, RelayTimeouts timeouts, RelayDone done);

// Accepts `request` (a WebSocket upgrade) on `client` and bridges its messages to a TCP
// connection to the target; bytes from the target go back as binary messages.
void RelayWebSocketToTcp(boost::asio::ip::tcp::socket& client, const BeastRequest& request,
                         const api::TcpTunnelTarget& target, RelayTimeouts timeouts,
                         RelayDone done);

}  // namespace corral::server
