#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/control_port.h"
#include "api/http_types.h"
#include "common/clock.h"
#include "jobs/job_controller.h"
#include "store/store.h"

namespace corral::api {

struct SessionOptions {
  Duration idle_timeout = std::chrono::hours(12);
  Duration absolute_lifetime = std::chrono::hours(24 * 7);
  // last_seen is written to the store at most this often per session, not on every request.
  Duration touch_interval = std::chrono::minutes(1);
};

inline constexpr std::string_view kSessionCookieName = "corral_session";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

enum class AuthMethod { kToken, kTrialToken, kSession };

// Who sent a request and how they proved it.
struct Identity {
  jobs::Caller caller;
  AuthMethod method = AuthMethod::kToken;
  // For a session: the SHA-256 of its cookie, its CSRF token, and its absolute end.
  std::string session_hash;
  std::string csrf_token;
  TimePoint session_expires_at;
};

struct StartedSession {
  std::string cookie_value;  // the secret; it goes into Set-Cookie and nowhere else
  std::string csrf_token;
  TimePoint expires_at;
};

// Authentication for every route (the REST API, the web UI, proxies): an API token in
// `Authorization: Bearer`, a trial token on its one route, or a browser session cookie. A
// cookie-authenticated request that changes something must also carry the session's CSRF token
// in X-CSRF-Token, and its Origin, when sent, must be this server. Bearer requests need neither:
// a browser never attaches a bearer token by itself.
//
// Callers and sessions are cached in memory; a revocation (token, logout, password change) bumps
// a generation so that a lookup already in flight cannot put back what was revoked.
// Thread-safe; the store is touched only through the control port.
class Authenticator {
 public:
  Authenticator(ControlPort& control, store::Store& store, const Clock& clock,
                SessionOptions options = {});

  // Accept trial tokens made with this key (api/tokens.h). Call before serving.
  void SetTrialKey(std::string key) { trial_key_ = std::move(key); }
  const SessionOptions& options() const { return options_; }

  Result<jobs::Caller> Authenticate(const HttpRequest& request);
  Result<Identity> Identify(const HttpRequest& request);

  // The owner of an API token (trial tokens are not accepted here).
  Result<jobs::Caller> CallerForToken(const std::string& token);
  // The session named by the request's cookie, without the CSRF checks (reading who is logged
  // in is safe); kUnauthenticated when there is none or it has expired.
  Result<Identity> SessionOf(const HttpRequest& request);

  // Creates and stores a session for `caller`; returns once it is durable. `token_id` names the
  // API token it was made from, if any: revoking that token ends the session.
  Result<StartedSession> StartSession(const jobs::Caller& caller,
                                      std::optional<int64_t> token_id = std::nullopt);
  // Deletes one session (logout); durable when it returns.
  Status EndSession(const std::string& session_hash);
  // Drops cached sessions of `user` after the store's were deleted (password change).
  void ForgetUserSessions(UserId user);
  // Drops every cached token after a token was revoked.
  void ForgetTokens();
  // Drops cached sessions made from token `token_id` after the store's went with the token.
  void ForgetTokenSessions(int64_t token_id);
  // The CSRF rules for a cookie-authenticated request (nothing to check for other methods).
  Status CheckCsrf(const HttpRequest& request, const Identity& identity) const;

 private:
  struct CachedSession {
    jobs::Caller caller;
    std::string csrf_token;
    TimePoint expires_at;
    TimePoint last_seen;
    TimePoint stored_last_seen;
    std::optional<int64_t> token_id;
  };

  Result<Identity> FromBearer(const HttpRequest& request, std::string_view token);
  Result<Identity> FromTrialToken(const HttpRequest& request, std::string_view token);
  Result<Identity> FromCookie(const std::string& cookie);
  bool Expired(const CachedSession& s, TimePoint now) const;

  ControlPort& control_;
  store::Store& store_;
  const Clock& clock_;
  SessionOptions options_;
  std::string trial_key_;

  std::mutex mu_;
  std::unordered_map<std::string, jobs::Caller> tokens_;     // token hash -> caller
  std::unordered_map<std::string, CachedSession> sessions_;  // session hash -> session
  // Bumped by every revocation: a lookup that started before one must not fill a cache.
  uint64_t generation_ = 0;
};

// Whether `origin` ("https://host:port") names the same host and port as a Host header.
bool OriginMatchesHost(std::string_view origin, std::string_view host);
// Whether the client reached the server over HTTPS (as far as a proxy's X-Forwarded-Proto says).
bool CameOverHttps(const HttpRequest& request);

}  // namespace corral::api
