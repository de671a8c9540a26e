#pragma once

#include <optional>
#include <semaphore>

#include "api/authenticator.h"
#include "api/control_port.h"
#include "api/http_types.h"
#include "api/login_limiter.h"
#include "common/clock.h"
#include "store/store.h"

namespace corral::api {

// Browser sessions and passwords under /api/v1:
//   POST /login {"name","password"} or {"token"}   -> session cookie + CSRF token
//   POST /logout, GET /session
//   PUT /users/me/password, PUT /users/{name}/password (admin)
// Logins are limited per user name and per remote address (LoginLimiter) and answer the same
// generic 401 whether the user exists or not, after the same amount of work.
class SessionRoutes {
 public:
  SessionRoutes(Authenticator& auth, ControlPort& control, store::Store& store, const Clock& clock,
                LoginLimits limits = {});

  // The response when `request` is for one of these routes; nullopt otherwise.
  std::optional<HttpResponse> Route(const HttpRequest& request);

 private:
  HttpResponse Login(const HttpRequest& request);
  HttpResponse Logout(const HttpRequest& request);
  HttpResponse CurrentSession(const HttpRequest& request);
  HttpResponse SetPassword(const HttpRequest& request, const std::string& target);

  // Some argon2id work (hashing or verifying) with a bounded number running at once: each takes
  // 64 MiB, and a burst of logins must not exhaust the host.
  template <class F>
  auto WithPasswordSlot(F f) {
    password_slots_.acquire();
    struct Release {
      std::counting_semaphore<>& s;
      ~Release() { s.release(); }
    } release{password_slots_};
    return f();
  }
  HttpResponse TooManyFailures(Duration retry_after) const;

  Authenticator& auth_;
  ControlPort& control_;
  store::Store& store_;
  LoginLimiter limiter_;
  std::counting_semaphore<> password_slots_{2};
};

}  // namespace corral::api
