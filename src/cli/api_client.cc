#include "cli/api_client.h"

#include <fmt/core.h>

#include <cctype>

namespace corral::cli {

std::string PercentEncode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", byte);
    }
  }
  return out;
}

std::string BuildQuery(const QueryParams& params) {
  std::string query;
  for (const auto& [name, value] : params) {
    query += query.empty() ? '?' : '&';
    query += PercentEncode(name);
    query += '=';
    query += PercentEncode(value);
  }
  return query;
}

namespace {

StatusCode CodeFromName(std::string_view name) {
  for (int i = static_cast<int>(StatusCode::kInvalidArgument);
       i <= static_cast<int>(StatusCode::kInternal); ++i) {
    auto code = static_cast<StatusCode>(i);
    if (name == StatusCodeName(code)) return code;
  }
  return StatusCode::kInternal;
}

StatusCode CodeFromHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
      return StatusCode::kInvalidArgument;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 409:
      return StatusCode::kFailedPrecondition;
    case 413:
      return StatusCode::kResourceExhausted;
    case 422:
      return StatusCode::kInfeasible;
    case 429:
      return StatusCode::kResourceExhausted;
    case 502:
    case 503:
    case 504:
      return StatusCode::kUnavailable;
    default:
      return http_status >= 400 && http_status < 500 ? StatusCode::kInvalidArgument
                                                     : StatusCode::kInternal;
  }
}

}  // namespace

Status StatusFromErrorReply(int http_status, std::string_view body) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_object()) {
    const auto& error = doc["error"];
    StatusCode code = CodeFromHttpStatus(http_status);
    if (auto it = error.find("code"); it != error.end() && it->is_string()) {
      code = CodeFromName(it->get<std::string>());
    }
    std::string message;
    if (auto it = error.find("message"); it != error.end() && it->is_string()) {
      message = it->get<std::string>();
    }
    if (message.empty()) message = fmt::format("HTTP {}", http_status);
    std::string field;
    if (auto details = error.find("details"); details != error.end() && details->is_object()) {
      if (auto it = details->find("field"); it != details->end() && it->is_string()) {
        field = it->get<std::string>();
      }
    }
    return Status(code, std::move(message), std::move(field));
  }
  std::string excerpt(body.substr(0, 200));
  for (char& c : excerpt) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  std::string message = excerpt.empty() ? fmt::format("HTTP {} with an empty body", http_status)
                                        : fmt::format("HTTP {}: {}", http_status, excerpt);
  return Status(CodeFromHttpStatus(http_status), std::move(message));
}

HttpRequest ApiClient::NewRequest(std::string method, std::string_view path) const {
  HttpRequest request;
  request.method = std::move(method);
  request.url = fmt::format("{}/api/v1{}", connection_.url, path);
  if (!connection_.token.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + connection_.token);
  }
  return request;
}

Status ApiClient::Unreachable(const Status& transport_failure) const {
  if (transport_failure.code() != StatusCode::kUnavailable) return transport_failure;
  return Status(
      StatusCode::kUnavailable,
      fmt::format("cannot reach the Corral server at {} ({}); is `corral server` running?",
                  connection_.url, transport_failure.message()));
}

Result<nlohmann::json> ApiClient::ParseJsonReply(Result<HttpResponse> reply) {
  if (!reply.ok()) return Unreachable(reply.status());
  if (reply->status < 200 || reply->status >= 300) {
    return StatusFromErrorReply(reply->status, reply->body);
  }
  if (reply->body.empty()) return nlohmann::json::object();
  nlohmann::json doc = nlohmann::json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return Status(
        StatusCode::kInternal,
        fmt::format("the server at {} sent a reply that is not JSON (HTTP {}, {})", connection_.url,
                    reply->status,
                    reply->content_type.empty() ? "no content type" : reply->content_type));
  }
  return doc;
}

Result<nlohmann::json> ApiClient::GetJson(std::string_view path) {
  HttpRequest request = NewRequest("GET", path);
  request.headers.emplace_back("Accept", "application/json");
  return ParseJsonReply(http_.Send(request));
}

Result<nlohmann::json> ApiClient::PostJson(std::string_view path, const nlohmann::json& body) {
  return PostRaw(path, body.dump(), "application/json");
}

Result<nlohmann::json> ApiClient::PostRaw(std::string_view path, std::string body,
                                          std::string_view content_type) {
  HttpRequest request = NewRequest("POST", path);
  request.headers.emplace_back("Accept", "application/json");
  if (!content_type.empty()) {
    request.headers.emplace_back("Content-Type", std::string(content_type));
  }
  request.body = std::move(body);
  return ParseJsonReply(http_.Send(request));
}

Result<nlohmann::json> ApiClient::PutRaw(std::string_view path, std::string body,
                                         std::string_view content_type) {
  HttpRequest request = NewRequest("PUT", path);
  request.headers.emplace_back("Accept", "application/json");
  request.headers.emplace_back("Content-Type", std::string(content_type));
  request.body = std::move(body);
  return ParseJsonReply(http_.Send(request));
}

Result<nlohmann::json> ApiClient::DeleteJson(std::string_view path) {
  HttpRequest request = NewRequest("DELETE", path);
  request.headers.emplace_back("Accept", "application/json");
  return ParseJsonReply(http_.Send(request));
}

Result<std::string> ApiClient::GetText(std::string_view path) {
  HttpRequest request = NewRequest("GET", path);
  auto reply = http_.Send(request);
  if (!reply.ok()) return Unreachable(reply.status());
  if (reply->status < 200 || reply->status >= 300) {
    return StatusFromErrorReply(reply->status, reply->body);
  }
  return std::move(reply->body);
}

Result<std::string> ApiClient::GetMetricsText() {
  HttpRequest request = NewRequest("GET", "");
  request.url = connection_.url + "/metrics";
  auto reply = http_.Send(request);
  if (!reply.ok()) return Unreachable(reply.status());
  if (reply->status < 200 || reply->status >= 300) {
    return StatusFromErrorReply(reply->status, reply->body);
  }
  return std::move(reply->body);
}

Status ApiClient::FollowEvents(std::string_view path, const SseParser::Callback& on_event) {
  HttpRequest request = NewRequest("GET", path);
  request.headers.emplace_back("Accept", "text/event-stream");
  request.headers.emplace_back("Cache-Control", "no-cache");
  SseParser parser(on_event);
  auto reply = http_.Stream(request, [&](std::string_view chunk) { return parser.Feed(chunk); });
  if (!reply.ok()) return Unreachable(reply.status());
  if (reply->status < 200 || reply->status >= 300) {
    return StatusFromErrorReply(reply->status, reply->body);
  }
  // A final event without the blank line after it still counts.
  parser.Feed("\n\n");
  return Status::Ok();
}

}  // namespace corral::cli
