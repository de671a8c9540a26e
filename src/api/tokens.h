#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/ids.h"

namespace corral::api {

// Initialises libsodium once (any thread); aborts when it has no usable randomness, since
// nothing safe could be issued then.
void EnsureSodium();

// A fresh API token: "corral_" followed by 48 hex digits (192 random bits).
std::string NewToken();
// What the store keeps instead of the token: its SHA-256, hex.
std::string HashToken(const std::string& token);

// Trial tokens let a trial push its own metrics without its owner's token: "corral_trial_<owner>_
// <experiment>_<trial>_<mac>", the MAC an HMAC-SHA256 under the server's trial key. Nothing is
// stored per token; the server accepts one only for that trial's metrics route.
struct TrialScope {
  UserId owner;
  int64_t experiment = 0;
  int64_t trial = 0;
};
// A fresh trial key (64 hex digits).
std::string NewTrialKey();
std::string TrialToken(const std::string& key, const TrialScope& scope);
// The scope when `token` is a trial token made with `key`; nullopt otherwise.
std::optional<TrialScope> VerifyTrialToken(const std::string& key, std::string_view token);
inline constexpr std::string_view kTrialTokenPrefix = "corral_trial_";

// A secret for one notebook's Jupyter server, derived (HMAC-SHA256 under the same key, in a
// purpose of its own) so that the server can make it again after a restart without storing it.
std::string NotebookServerToken(const std::string& key, int64_t notebook);

}  // namespace corral::api
