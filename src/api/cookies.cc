#include "api/cookies.h"

namespace corral::api {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> CookieValue(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    size_t semi = cookie_header.find(';');
    std::string_view pair = Trim(cookie_header.substr(0, semi));
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && Trim(pair.substr(0, eq)) == name) {
      std::string_view value = Trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      return std::string(value);
    }
    if (semi == std::string_view::npos) break;
    cookie_header.remove_prefix(semi + 1);
  }
  return std::nullopt;
}

std::string SessionCookie(std::string_view name, std::string_view value,
                          const CookieAttributes& attributes) {
  std::string out(name);
  out += '=';
  out += value;
  out += "; HttpOnly; SameSite=Strict; Path=/; Max-Age=";
  out +=
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(attributes.max_age).count());
  if (attributes.secure) out += "; Secure";
  return out;
}

}  // namespace corral::api
