#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/ids.h"

namespace corral {

enum class Role { kUser, kAdmin };
// "admin" or "user", as the API and the store spell it.
std::string_view RoleName(Role role);

struct User {
  UserId id;
  std::string name;
  Role role = Role::kUser;
  TimePoint created_at;
  // Local account that runs this user's jobs; empty: the account of the same name if there is
  // one (and it is not root), else the server's default job account.
  std::string unix_user;
};

// An API token as it can be shown again: never the secret (only its hash is stored).
struct TokenInfo {
  int64_t id = 0;
  UserId user;
  std::string user_name;
  std::string label;
  TimePoint created_at;

  friend bool operator==(const TokenInfo&, const TokenInfo&) = default;
};

}  // namespace corral
