#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace corral::api {

// Passwords are kept only as libsodium's encoded argon2id hash ("$argon2id$v=19$m=...").
// Hashing and verifying cost tens of milliseconds and tens of MiB on purpose: call them on a
// request thread, never on the control thread.

// Length and content rules for a new password; `field` names it in the error.
Status CheckNewPassword(std::string_view password, const std::string& field);
Result<std::string> HashPassword(std::string_view password);
// Whether `password` matches `encoded_hash`; false for a malformed hash.
bool VerifyPassword(std::string_view password, const std::string& encoded_hash);
// A hash of no one's password, to verify against when a user has none (or does not exist), so
// that the answer takes as long either way.
const std::string& DecoyPasswordHash();

inline constexpr size_t kMinPasswordBytes = 8;
inline constexpr size_t kMaxPasswordBytes = 1024;

}  // namespace corral::api
