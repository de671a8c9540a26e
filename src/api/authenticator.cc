#include "api/authenticator.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "api/cookies.h"
#include "api/tokens.h"
#include "common/utf8.h"

namespace corral::api {
namespace {

constexpr size_t kSecretBytes = 32;
// Base64url of kSecretBytes without padding.
constexpr size_t kSecretChars = 43;

// 32 random bytes as unpadded base64url: a session cookie or a CSRF token.
std::string NewSecret() {
  EnsureSodium();
  unsigned char raw[kSecretBytes];
  randombytes_buf(raw, sizeof raw);
  char out[sodium_base64_ENCODED_LEN(kSecretBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof raw);
  return std::string(out);
}

bool LooksLikeSecret(std::string_view s) {
  return s.size() == kSecretChars && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
         });
}

bool SafeMethod(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "host:port" without the scheme's default port, lower-case.
std::string NormalizeAuthority(std::string_view authority, std::string_view scheme) {
  std::string out = Lower(authority);
  if (scheme == "http" && out.ends_with(":80")) out.resize(out.size() - 3);
  if (scheme == "https" && out.ends_with(":443")) out.resize(out.size() - 4);
  return out;
}

Status Unauthenticated(std::string message) {
  return Status(StatusCode::kUnauthenticated, std::move(message));
}

}  // namespace

bool OriginMatchesHost(std::string_view origin, std::string_view host) {
  size_t sep = origin.find("://");
  if (sep == std::string_view::npos || host.empty()) return false;
  const std::string scheme = Lower(origin.substr(0, sep));
  std::string_view authority = origin.substr(sep + 3);
  if (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
  if (authority.empty() || authority.find('/') != std::string_view::npos) return false;
  return NormalizeAuthority(authority, scheme) == NormalizeAuthority(host, scheme);
}

bool CameOverHttps(const HttpRequest& request) {
  return Lower(request.Header("x-forwarded-proto")) == "https";
}

Authenticator::Authenticator(ControlPort& control, store::Store& store, const Clock& clock,
                             SessionOptions options)
    : control_(control), store_(store), clock_(clock), options_(options) {}

Result<jobs::Caller> Authenticator::Authenticate(const HttpRequest& request) {
  CORRAL_ASSIGN_OR_RETURN(Identity identity, Identify(request));
  return identity.caller;
}

Result<Identity> Authenticator::Identify(const HttpRequest& request) {
  const std::string auth = request.Header("authorization");
  if (!auth.empty()) {
    // An Authorization header is what the client meant to use: never fall back to a cookie.
    const std::string_view prefix = "Bearer ";
    if (auth.size() <= prefix.size() || auth.compare(0, prefix.size(), prefix) != 0)
      return Unauthenticated("the Authorization header must be 'Bearer <token>'");
    std::string_view token = std::string_view(auth).substr(prefix.size());
    if (token.substr(0, kTrialTokenPrefix.size()) == kTrialTokenPrefix)
      return FromTrialToken(request, token);
    return FromBearer(request, token);
  }
  auto cookie = CookieValue(request.Header("cookie"), kSessionCookieName);
  if (!cookie)
    return Unauthenticated(
        "missing credentials: send Authorization: Bearer <token>, or log in (POST /api/v1/login) "
        "for a session cookie");
  CORRAL_ASSIGN_OR_RETURN(Identity identity, FromCookie(*cookie));
  CORRAL_RETURN_IF_ERROR(CheckCsrf(request, identity));
  return identity;
}

Result<Identity> Authenticator::SessionOf(const HttpRequest& request) {
  auto cookie = CookieValue(request.Header("cookie"), kSessionCookieName);
  if (!cookie) return Unauthenticated("not logged in");
  return FromCookie(*cookie);
}

Result<jobs::Caller> Authenticator::CallerForToken(const std::string& token) {
  if (std::string_view(token).substr(0, kTrialTokenPrefix.size()) == kTrialTokenPrefix)
    return Unauthenticated("invalid token");
  HttpRequest none;
  CORRAL_ASSIGN_OR_RETURN(Identity identity, FromBearer(none, token));
  return identity.caller;
}

Result<Identity> Authenticator::FromBearer(const HttpRequest&, std::string_view token) {
  const std::string hash = HashToken(std::string(token));
  uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    auto it = tokens_.find(hash);
    if (it != tokens_.end()) return Identity{it->second, AuthMethod::kToken, {}, {}, {}};
    generation = generation_;
  }
  auto user = CallOnControl(control_, [&] { return store_.FindUserByTokenHash(hash); });
  if (!user.ok()) return user.status();
  if (!*user) return Unauthenticated("invalid token");
  jobs::Caller caller{(*user)->id, (*user)->name, (*user)->role};
  std::lock_guard lock(mu_);
  if (generation == generation_) tokens_[hash] = caller;
  return Identity{caller, AuthMethod::kToken, {}, {}, {}};
}

Result<Identity> Authenticator::FromTrialToken(const HttpRequest& request, std::string_view token) {
  auto scope = VerifyTrialToken(trial_key_, token);
  if (!scope) return Unauthenticated("invalid token");
  const std::string allowed = "/api/v1/experiments/" + std::to_string(scope->experiment) +
                              "/trials/" + std::to_string(scope->trial) + "/metrics";
  if (request.method != "POST" || request.path != allowed)
    return Status(StatusCode::kPermissionDenied,
                  "a trial token may only report its own trial's metrics (POST " + allowed + ")");
  auto user = CallOnControl(control_, [&] { return store_.FindUserById(scope->owner); });
  if (!user.ok()) return user.status();
  if (!*user) return Unauthenticated("invalid token");
  return Identity{
      jobs::Caller{(*user)->id, (*user)->name, (*user)->role}, AuthMethod::kTrialToken, {}, {}, {}};
}

bool Authenticator::Expired(const CachedSession& s, TimePoint now) const {
  return now >= s.expires_at || now - s.last_seen >= options_.idle_timeout;
}

Result<Identity> Authenticator::FromCookie(const std::string& cookie) {
  const Status expired = Unauthenticated("the session has expired or was ended; log in again");
  if (!LooksLikeSecret(cookie)) return expired;
  const std::string hash = HashToken(cookie);
  const TimePoint now = clock_.Now();
  uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(hash);
    if (it != sessions_.end()) {
      CachedSession& s = it->second;
      if (Expired(s, now)) {
        sessions_.erase(it);
        PostNamed(control_, "auth.session_delete",
                  [this, hash] { (void)store_.DeleteSession(hash); });
        return expired;
      }
      s.last_seen = std::max(s.last_seen, now);
      if (now - s.stored_last_seen >= options_.touch_interval) {
        // Activity reaches the store at most once per touch_interval, as part of whatever commit
        // comes next; losing the last minute of it in a crash only shortens the idle window.
        s.stored_last_seen = now;
        PostNamed(control_, "auth.session_touch",
                  [this, hash, now] { (void)store_.TouchSession(hash, now); });
      }
      return Identity{s.caller, AuthMethod::kSession, hash, s.csrf_token, s.expires_at};
    }
    generation = generation_;
  }
  struct Found {
    Session session;
    User user;
  };
  auto found = CallOnControl(control_, [&]() -> Result<std::optional<Found>> {
    CORRAL_ASSIGN_OR_RETURN(auto session, store_.FindSession(hash));
    if (!session) return std::optional<Found>();
    CORRAL_ASSIGN_OR_RETURN(auto user, store_.FindUserById(session->user));
    if (!user) return std::optional<Found>();
    return std::optional<Found>(Found{std::move(*session), std::move(*user)});
  });
  if (!found.ok()) return found.status();
  if (!*found) return expired;
  const Session& stored = (*found)->session;
  const User& user = (*found)->user;
  CachedSession s{jobs::Caller{user.id, user.name, user.role},
                  stored.csrf_token,
                  stored.expires_at,
                  stored.last_seen,
                  stored.last_seen,
                  stored.token_id};
  if (Expired(s, now)) {
    PostNamed(control_, "auth.session_delete", [this, hash] { (void)store_.DeleteSession(hash); });
    return expired;
  }
  s.last_seen = now;
  if (now - s.stored_last_seen >= options_.touch_interval) {
    s.stored_last_seen = now;
    PostNamed(control_, "auth.session_touch",
              [this, hash, now] { (void)store_.TouchSession(hash, now); });
  }
  Identity identity{s.caller, AuthMethod::kSession, hash, s.csrf_token, s.expires_at};
  std::lock_guard lock(mu_);
  if (generation == generation_) sessions_[hash] = std::move(s);
  return identity;
}

Status Authenticator::CheckCsrf(const HttpRequest& request, const Identity& identity) const {
  if (identity.method != AuthMethod::kSession || SafeMethod(request.method)) return Status::Ok();
  const std::string origin = request.Header("origin");
  if (!origin.empty() && !OriginMatchesHost(origin, request.Header("host")))
    return Status(StatusCode::kPermissionDenied,
                  "is '" + ToValidUtf8(origin) + "', not this server (Host '" +
                      ToValidUtf8(request.Header("host")) +
                      "'); cross-site requests cannot use a session",
                  "Origin");
  if (!ConstantTimeEquals(request.Header("x-csrf-token"), identity.csrf_token))
    return Status(StatusCode::kPermissionDenied,
                  "missing or wrong: a request with a session cookie that changes something must "
                  "send the session's CSRF token (from POST /api/v1/login or GET /api/v1/session)",
                  std::string(kCsrfHeader));
  return Status::Ok();
}

Result<StartedSession> Authenticator::StartSession(const jobs::Caller& caller,
                                                   std::optional<int64_t> token_id) {
  const TimePoint now = clock_.Now();
  StartedSession started{NewSecret(), NewSecret(), now + options_.absolute_lifetime};
  Session session{HashToken(started.cookie_value),
                  caller.id,
                  started.csrf_token,
                  now,
                  now,
                  started.expires_at,
                  token_id};
  const TimePoint idle_before = now - options_.idle_timeout;
  auto stored = CallDurable(control_, [&]() -> Result<int> {
    // Logins are rare: a good moment to clear out sessions nobody will use again.
    CORRAL_RETURN_IF_ERROR(store_.DeleteExpiredSessions(now, idle_before).status());
    CORRAL_RETURN_IF_ERROR(store_.InsertSession(session));
    return 0;
  });
  if (!stored.ok()) return stored.status();
  return started;
}

Status Authenticator::EndSession(const std::string& session_hash) {
  {
    std::lock_guard lock(mu_);
    sessions_.erase(session_hash);
    ++generation_;
  }
  auto done = CallDurable(control_, [&]() -> Result<int> {
    CORRAL_RETURN_IF_ERROR(store_.DeleteSession(session_hash));
    return 0;
  });
  // A lookup that read the row just before the delete may have cached it meanwhile.
  std::lock_guard lock(mu_);
  sessions_.erase(session_hash);
  ++generation_;
  return done.status();
}

void Authenticator::ForgetUserSessions(UserId user) {
  std::lock_guard lock(mu_);
  std::erase_if(sessions_, [user](const auto& entry) { return entry.second.caller.id == user; });
  ++generation_;
}

void Authenticator::ForgetTokens() {
  std::lock_guard lock(mu_);
  tokens_.clear();
  ++generation_;
}

void Authenticator::ForgetTokenSessions(int64_t token_id) {
  std::lock_guard lock(mu_);
  std::erase_if(sessions_,
                [token_id](const auto& entry) { return entry.second.token_id == token_id; });
  ++generation_;
}

}  // namespace corral::api
