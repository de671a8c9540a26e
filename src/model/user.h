#pragma once

#include <string>

#include "common/clock.h"
#include "common/ids.h"

namespace corral {

enum class Role { kUser, kAdmin };

struct User {
  UserId id;
  std::string name;
  Role role = Role::kUser;
  TimePoint created_at;
};

}  // namespace corral
