// Raw HTTP/1.1 requests: Beast's request parser over the bytes, with the server's limits, then
// the server's own request-target decoding (server/request_target), whose output must be clean.
#include <utility>  // before Asio (see NOTES: g++ and Boost 1.74)

#include <boost/beast/http.hpp>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/http_types.h"
#include "common/utf8.h"
#include "server/request_target.h"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1 << 20);
  parser.eager(true);
  boost::beast::error_code ec;
  size_t used = parser.put(boost::asio::buffer(data, size), ec);
  (void)used;
  if (ec || !parser.is_header_done()) return 0;
  const auto& msg = parser.get();
  corral::api::HttpRequest req;
  req.method = std::string(msg.method_string());
  corral::Status target = corral::server::ParseRequestTarget(
      std::string_view(msg.target().data(), msg.target().size()), req);
  // A target the server accepts holds only clean text; one it refuses is answered 400.
  if (!target.ok()) return 0;
  if (!corral::IsValidUtf8(req.path)) __builtin_trap();
  for (const auto& [k, v] : req.query)
    if (!corral::IsValidUtf8(k) || !corral::IsValidUtf8(v)) __builtin_trap();
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers[name] = std::string(field.value());
  }
  return 0;
}
