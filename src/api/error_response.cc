#include "api/error_response.h"

#include <nlohmann/json.hpp>

namespace corral::api {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kResourceExhausted:
      return 413;
    case StatusCode::kInfeasible:
      return 422;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

HttpResponse ErrorResponse(const Status& status) {
  nlohmann::json details = nlohmann::json::object();
  if (!status.field().empty()) details["field"] = status.field();
  std::string message =
      status.field().empty() ? status.message() : status.field() + ": " + status.message();
  nlohmann::json body = {
      {"error",
       {{"code", StatusCodeName(status.code())}, {"message", message}, {"details", details}}}};
  HttpResponse r;
  r.status = HttpStatusFor(status.code());
  // Messages echo what the client sent; bad bytes become U+FFFD instead of an exception.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (r.status == 401) r.headers.push_back({"WWW-Authenticate", "Bearer"});
  return r;
}

}  // namespace corral::api
