#include "api/notebook_proxy.h"

#include <charconv>

#include "api/error_response.h"
#include "notebook/notebook_state.h"

namespace corral::api {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string CookiesForUpstream(const std::string& header) {
  std::string out;
  std::string_view rest = header;
  while (!rest.empty()) {
    size_t semi = rest.find(';');
    std::string_view pair = Trim(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    std::string_view name = Trim(pair.substr(0, pair.find('=')));
    if (pair.empty() || name == kSessionCookieName) continue;
    if (!out.empty()) out += "; ";
    out += pair;
  }
  return out;
}

HttpResponse NotebookProxy::Handle(const HttpRequest& request) {
  // "/nb/<id>" or "/nb/<id>/..."
  std::string_view rest = std::string_view(request.path).substr(4);
  size_t slash = rest.find('/');
  std::string_view id_text = rest.substr(0, slash);
  int64_t raw = 0;
  auto [p, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), raw);
  if (ec != std::errc() || p != id_text.data() + id_text.size() || raw <= 0)
    return ErrorResponse(NotFound("no notebook at " + request.path));
  NotebookId id(raw);

  Result<jobs::Caller> caller = Status(StatusCode::kUnauthenticated, "not logged in");
  const std::string authorization = request.Header("authorization");
  if (!authorization.empty()) {
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization.compare(0, kBearer.size(), kBearer) != 0)
      return ErrorResponse(Status(StatusCode::kUnauthenticated,
                                  "the Authorization header must be 'Bearer <token>'"));
    caller = auth_.CallerForToken(authorization.substr(kBearer.size()));
  } else {
    auto session = auth_.SessionOf(request);
    if (session.ok()) {
      // A page of another site may not drive a notebook with the user's cookie (WebSockets
      // included, which SameSite does not cover everywhere).
      std::string origin = request.Header("origin");
      if (!origin.empty() && !OriginMatchesHost(origin, request.Header("host")))
        return ErrorResponse(
            Status(StatusCode::kPermissionDenied, "cross-origin request to a notebook refused"));
      caller = session->caller;
    } else {
      caller = session.status();
    }
  }
  if (!caller.ok()) return ErrorResponse(caller.status());

  auto route = directory_.Find(id);
  if (!route || route->owner != caller->id)
    return ErrorResponse(NotFound("notebook " + std::to_string(id.value) + " not found"));
  if (slash == std::string_view::npos) {
    HttpResponse r;
    r.status = 302;
    r.headers.push_back({"Location", request.path + "/"});
    r.content_type = "text/plain";
    return r;
  }
  if (route->state != notebook::kReady || route->port == 0) {
    HttpResponse r = ErrorResponse(Status(
        StatusCode::kUnavailable, "notebook " + std::to_string(id.value) + " is " + route->state));
    r.headers.push_back({"Retry-After", "1"});
    return r;
  }
  ProxyTarget target;
  target.host = "127.0.0.1";
  target.port = static_cast<uint16_t>(route->port);
  target.target = request.target;
  target.set_headers.push_back({"Authorization", "token " + route->token});
  std::string cookies = CookiesForUpstream(request.Header("cookie"));
  if (cookies.empty()) {
    target.remove_headers.push_back("Cookie");
  } else {
    target.set_headers.push_back({"Cookie", cookies});
  }
  target.remove_headers.push_back("X-CSRF-Token");
  HttpResponse r;
  r.proxy = std::move(target);
  return r;
}

}  // namespace corral::api
