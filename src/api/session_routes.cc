#include "api/session_routes.h"

#include <nlohmann/json.hpp>

#include "api/cookies.h"
#include "api/error_response.h"
#include "api/json_reader.h"
#include "api/json_response.h"
#include "api/passwords.h"
#include "api/tokens.h"
#include "common/utf8.h"
#include "model/field_rules.h"

namespace corral::api {
namespace {

using nlohmann::json;

constexpr std::string_view kBase = "/api/v1/";
constexpr size_t kMaxNameBytes = 64;
const char* const kBadLogin = "wrong user name or password";

// Session answers carry credentials or who is logged in: no cache may keep them.
HttpResponse NoStoreJson(int status, const json& body) {
  HttpResponse r = JsonResponse(status, body);
  r.headers.push_back({"Cache-Control", "no-store"});
  return r;
}

HttpResponse MethodNotAllowed(const HttpRequest& request) {
  return ErrorResponse(Status(
      StatusCode::kInvalidArgument,
      "method " + ToValidUtf8(request.method) + " is not allowed on " + ToValidUtf8(request.path),
      "method"));
}

Result<json> JsonBody(const HttpRequest& request) {
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos)
    return InvalidArgument("body", "is required (a JSON object)");
  return ParseBody(request.body, request.Header("content-type"));
}

// A required string field, 1..max_bytes long.
Result<std::string> RequiredString(const JsonObjectReader& r, const std::string& key,
                                   size_t max_bytes) {
  CORRAL_ASSIGN_OR_RETURN(auto value, r.String(key));
  if (!value || value->empty()) return InvalidArgument(key, "is required");
  if (value->size() > max_bytes)
    return InvalidArgument(key, "must be at most " + std::to_string(max_bytes) + " bytes");
  return std::move(*value);
}

std::string UserKey(const std::string& name) { return "user:" + name; }
std::string AddressKey(const HttpRequest& request) { return "addr:" + request.remote; }

}  // namespace

SessionRoutes::SessionRoutes(Authenticator& auth, ControlPort& control, store::Store& store,
                             const Clock& clock, LoginLimits limits)
    : auth_(auth), control_(control), store_(store), limiter_(clock, limits) {}

std::optional<HttpResponse> SessionRoutes::Route(const HttpRequest& request) {
  const std::string& path = request.path;
  if (path.compare(0, kBase.size(), kBase) != 0) return std::nullopt;
  std::string_view rest = std::string_view(path).substr(kBase.size());
  if (rest.ends_with('/')) rest.remove_suffix(1);
  const std::string& m = request.method;
  if (rest == "login") return m == "POST" ? Login(request) : MethodNotAllowed(request);
  if (rest == "logout") return m == "POST" ? Logout(request) : MethodNotAllowed(request);
  if (rest == "session") return m == "GET" ? CurrentSession(request) : MethodNotAllowed(request);
  constexpr std::string_view users = "users/", password = "/password";
  if (rest.starts_with(users) && rest.ends_with(password) &&
      rest.size() > users.size() + password.size()) {
    std::string target(rest.substr(users.size(), rest.size() - users.size() - password.size()));
    if (target.find('/') != std::string::npos) return std::nullopt;
    return m == "PUT" ? SetPassword(request, target) : MethodNotAllowed(request);
  }
  return std::nullopt;
}

HttpResponse SessionRoutes::TooManyFailures(Duration retry_after) const {
  const int64_t seconds = (retry_after.count() + 999) / 1000;
  HttpResponse r =
      ErrorResponse(Status(StatusCode::kResourceExhausted, "too many failed logins; try again in " +
                                                               std::to_string(seconds) + " s"));
  r.status = 429;
  r.headers.push_back({"Retry-After", std::to_string(seconds)});
  return r;
}

HttpResponse SessionRoutes::Login(const HttpRequest& request) {
  // A login form posted from another site would log the victim into the attacker's account.
  if (const std::string origin = request.Header("origin");
      !origin.empty() && !OriginMatchesHost(origin, request.Header("host")))
    return ErrorResponse(Status(StatusCode::kPermissionDenied,
                                "is '" + ToValidUtf8(origin) +
                                    "', not this server; log in from this server's "
                                    "own pages",
                                "Origin"));
  auto body = JsonBody(request);
  if (!body.ok()) return ErrorResponse(body.status());
  JsonObjectReader r(*body, "");
  if (Status s = r.Check({"name", "password", "token"}); !s.ok()) return ErrorResponse(s);

  const std::string address_key = AddressKey(request);
  std::optional<jobs::Caller> caller;
  std::optional<int64_t> token_id;
  if (r.Has("token")) {
    if (r.Has("name") || r.Has("password"))
      return ErrorResponse(
          InvalidArgument("token", "give either name and password, or token, not both"));
    auto token = RequiredString(r, "token", 256);
    if (!token.ok()) return ErrorResponse(token.status());
    if (auto wait = limiter_.Attempt(address_key)) return TooManyFailures(*wait);
    auto found = auth_.CallerForToken(*token);
    if (!found.ok()) {
      if (found.status().code() == StatusCode::kUnauthenticated)
        return ErrorResponse(Status(StatusCode::kUnauthenticated, "invalid token"));
      limiter_.Forgive(address_key);
      return ErrorResponse(found.status());
    }
    auto id = CallOnControl(control_, [&] { return store_.FindTokenIdByHash(HashToken(*token)); });
    limiter_.Forgive(address_key);
    if (!id.ok()) return ErrorResponse(id.status());
    if (!*id) return ErrorResponse(Status(StatusCode::kUnauthenticated, "invalid token"));
    caller = *found;
    token_id = **id;
  } else {
    auto name = RequiredString(r, "name", kMaxNameBytes);
    if (!name.ok()) return ErrorResponse(name.status());
    // A name no account can have is bad input, not a failed login (it reveals no account).
    if (Status s = rules::CheckUserName("name", *name); !s.ok()) return ErrorResponse(s);
    auto password = RequiredString(r, "password", kMaxPasswordBytes);
    if (!password.ok()) return ErrorResponse(password.status());
    const std::string user_key = UserKey(*name);
    // Every attempt counts as a failure until it succeeds, so that a burst of parallel
    // attempts cannot all pass the check before the first of them fails.
    if (auto wait = limiter_.Attempt(address_key)) return TooManyFailures(*wait);
    if (auto wait = limiter_.Attempt(user_key)) {
      limiter_.Forgive(address_key);
      return TooManyFailures(*wait);
    }
    struct Account {
      User user;
      std::optional<std::string> hash;
    };
    auto account = CallOnControl(control_, [&]() -> Result<std::optional<Account>> {
      CORRAL_ASSIGN_OR_RETURN(auto user, store_.FindUserByName(*name));
      if (!user) return std::optional<Account>();
      CORRAL_ASSIGN_OR_RETURN(auto hash, store_.GetPasswordHash(user->id));
      return std::optional<Account>(Account{std::move(*user), std::move(hash)});
    });
    if (!account.ok()) {
      limiter_.Forgive(address_key);
      limiter_.Forgive(user_key);
      return ErrorResponse(account.status());
    }
    // Unknown users and users without a password cost one verification too, against a hash no
    // password matches, so that neither the answer nor its timing tells them apart.
    const bool has_password = *account && (*account)->hash;
    const std::string& hash = has_password ? *(*account)->hash : DecoyPasswordHash();
    const bool match = WithPasswordSlot([&] { return VerifyPassword(*password, hash); });
    if (!match || !has_password)
      return ErrorResponse(Status(StatusCode::kUnauthenticated, kBadLogin));
    limiter_.Forgive(address_key);
    limiter_.Reset(user_key);
    const User& user = (*account)->user;
    caller = jobs::Caller{user.id, user.name, user.role};
  }

  auto session = auth_.StartSession(*caller, token_id);
  // The token was revoked between the check and the insert.
  if (!session.ok() && token_id && session.status().code() == StatusCode::kNotFound)
    return ErrorResponse(Status(StatusCode::kUnauthenticated, "invalid token"));
  if (!session.ok()) return ErrorResponse(session.status());
  HttpResponse out = NoStoreJson(200, {{"name", caller->name},
                                       {"role", RoleName(caller->role)},
                                       {"csrf_token", session->csrf_token},
                                       {"expires_at", FormatRfc3339(session->expires_at)}});
  out.headers.push_back(
      {"Set-Cookie", SessionCookie(kSessionCookieName, session->cookie_value,
                                   {auth_.options().absolute_lifetime, CameOverHttps(request)})});
  return out;
}

HttpResponse SessionRoutes::Logout(const HttpRequest& request) {
  HttpResponse out = NoStoreJson(200, {{"logged_out", true}});
  out.headers.push_back(
      {"Set-Cookie", SessionCookie(kSessionCookieName, "", {Duration(0), CameOverHttps(request)})});
  auto session = auth_.SessionOf(request);
  if (!session.ok()) {
    // No session, or one already gone: the cookie is cleared all the same.
    if (session.status().code() != StatusCode::kUnauthenticated)
      return ErrorResponse(session.status());
    out.body = json{{"logged_out", false}}.dump();
    return out;
  }
  if (Status s = auth_.CheckCsrf(request, *session); !s.ok()) return ErrorResponse(s);
  if (Status s = auth_.EndSession(session->session_hash); !s.ok()) return ErrorResponse(s);
  return out;
}

HttpResponse SessionRoutes::CurrentSession(const HttpRequest& request) {
  auto session = auth_.SessionOf(request);
  if (!session.ok()) return ErrorResponse(session.status());
  const auto idle = std::chrono::duration_cast<std::chrono::seconds>(auth_.options().idle_timeout);
  return NoStoreJson(200, {{"name", session->caller.name},
                           {"role", RoleName(session->caller.role)},
                           {"csrf_token", session->csrf_token},
                           {"expires_at", FormatRfc3339(session->session_expires_at)},
                           {"idle_timeout_s", idle.count()}});
}

// Body: {"password": "new", "old_password": "..."}. A user changing their own password through a
// browser session must give the old one (a session left open must not be enough to take the
// account over); with an API token, or as an admin for someone else, it is not needed. Every
// session of the user ends.
HttpResponse SessionRoutes::SetPassword(const HttpRequest& request, const std::string& target) {
  auto identity = auth_.Identify(request);
  if (!identity.ok()) return ErrorResponse(identity.status());
  const jobs::Caller& caller = identity->caller;
  const bool self = target == "me" || target == caller.name;
  if (!self && !caller.is_admin())
    return ErrorResponse(
        Status(StatusCode::kPermissionDenied, "only admins may set another user's password"));
  auto body = JsonBody(request);
  if (!body.ok()) return ErrorResponse(body.status());
  JsonObjectReader r(*body, "");
  if (Status s = r.Check({"password", "old_password"}); !s.ok()) return ErrorResponse(s);
  auto password = r.String("password");
  if (!password.ok()) return ErrorResponse(password.status());
  if (!*password) return ErrorResponse(InvalidArgument("password", "is required"));
  if (Status s = CheckNewPassword(**password, "password"); !s.ok()) return ErrorResponse(s);
  auto old_password = r.String("old_password");
  if (!old_password.ok()) return ErrorResponse(old_password.status());

  auto user = CallOnControl(control_, [&]() -> Result<std::optional<User>> {
    if (self) return store_.FindUserById(caller.id);
    return store_.FindUserByName(target);
  });
  if (!user.ok()) return ErrorResponse(user.status());
  if (!*user) return ErrorResponse(NotFound("user '" + ToValidUtf8(target) + "' not found"));
  const UserId id = (*user)->id;

  if (self && identity->method == AuthMethod::kSession) {
    auto current = CallOnControl(control_, [&] { return store_.GetPasswordHash(id); });
    if (!current.ok()) return ErrorResponse(current.status());
    // A session made from an API token by a user who never had a password has nothing to give.
    if (*current) {
      if (!*old_password || (*old_password)->empty())
        return ErrorResponse(InvalidArgument(
            "old_password", "is required to change your password from a browser session"));
      const std::string user_key = UserKey((*user)->name);
      if (auto wait = limiter_.Attempt(user_key)) return TooManyFailures(*wait);
      const bool match =
          WithPasswordSlot([&] { return VerifyPassword(**old_password, **current); });
      if (!match)
        return ErrorResponse(Status(StatusCode::kPermissionDenied, "is wrong", "old_password"));
      limiter_.Forgive(user_key);
    }
  }

  auto hash = WithPasswordSlot([&] { return HashPassword(**password); });
  if (!hash.ok()) return ErrorResponse(hash.status());
  auto revoked = CallDurable(control_, [&]() -> Result<int64_t> {
    CORRAL_RETURN_IF_ERROR(store_.SetPasswordHash(id, *hash));
    return store_.DeleteUserSessions(id);
  });
  if (!revoked.ok()) return ErrorResponse(revoked.status());
  auth_.ForgetUserSessions(id);
  limiter_.Reset(UserKey((*user)->name));
  HttpResponse out = NoStoreJson(200, {{"name", (*user)->name}, {"sessions_revoked", *revoked}});
  if (identity->method == AuthMethod::kSession && self)
    out.headers.push_back({"Set-Cookie", SessionCookie(kSessionCookieName, "",
                                                       {Duration(0), CameOverHttps(request)})});
  return out;
}

}  // namespace corral::api
