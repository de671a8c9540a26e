#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace corral::api {

// The value of cookie `name` in a Cookie header ("a=1; b=2"); nullopt when it is absent.
std::optional<std::string> CookieValue(std::string_view cookie_header, std::string_view name);

struct CookieAttributes {
  Duration max_age{0};  // 0 with an empty value: tells the browser to delete the cookie
  bool secure = false;  // only over HTTPS
};
// A Set-Cookie value for a session cookie: HttpOnly, SameSite=Strict, Path=/.
std::string SessionCookie(std::string_view name, std::string_view value,
                          const CookieAttributes& attributes);

}  // namespace corral::api
