#pragma once

#include <string>

namespace corral::api {

// A fresh API token: "corral_" followed by 48 hex digits (192 random bits).
std::string NewToken();
// What the store keeps instead of the token: its SHA-256, hex.
std::string HashToken(const std::string& token);

}  // namespace corral::api
