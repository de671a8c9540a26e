#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/ids.h"

namespace corral {

// A browser session as the store keeps it. The cookie's value is never stored, only its SHA-256;
// the CSRF token is kept as is because the session hands it back to the page that asks.
struct Session {
  std::string id_hash;
  UserId user;
  std::string csrf_token;
  TimePoint created_at;
  TimePoint last_seen;   // within a minute or so: refreshed at most once a minute
  TimePoint expires_at;  // the absolute end, whatever the activity
  // The API token the session was made from (POST /api/v1/login with a token); revoking that
  // token ends the session. None for a password login.
  std::optional<int64_t> token_id;

  friend bool operator==(const Session&, const Session&) = default;
};

}  // namespace corral
