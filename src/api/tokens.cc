#include "api/tokens.h"

#include <sodium.h>

#include <cstdlib>

namespace corral::api {
namespace {
std::string Hex(const unsigned char* data, size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, n);
  out.pop_back();
  return out;
}
}  // namespace

void EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();  // no usable randomness: nothing safe can be issued
}

std::string NewToken() {
  EnsureSodium();
  unsigned char buf[24];
  randombytes_buf(buf, sizeof buf);
  return "corral_" + Hex(buf, sizeof buf);
}

std::string HashToken(const std::string& token) {
  EnsureSodium();
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return Hex(out, sizeof out);
}

namespace {

std::string Mac(const std::string& key, const std::string& message) {
  EnsureSodium();
  unsigned char k[crypto_auth_hmacsha256_KEYBYTES] = {};
  size_t bin_len = 0;
  sodium_hex2bin(k, sizeof k, key.data(), key.size(), nullptr, &bin_len, nullptr);
  unsigned char out[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(out, reinterpret_cast<const unsigned char*>(message.data()),
                         message.size(), k);
  sodium_memzero(k, sizeof k);
  return Hex(out, sizeof out);
}

std::string ScopeText(const TrialScope& s) {
  return std::to_string(s.owner.value) + "_" + std::to_string(s.experiment) + "_" +
         std::to_string(s.trial);
}

std::optional<int64_t> ParseNumber(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

std::string NewTrialKey() {
  EnsureSodium();
  unsigned char buf[crypto_auth_hmacsha256_KEYBYTES];
  randombytes_buf(buf, sizeof buf);
  return Hex(buf, sizeof buf);
}

std::string TrialToken(const std::string& key, const TrialScope& scope) {
  const std::string text = ScopeText(scope);
  return std::string(kTrialTokenPrefix) + text + "_" + Mac(key, "trial:" + text);
}

std::string NotebookServerToken(const std::string& key, int64_t notebook) {
  return Mac(key, "notebook-server:" + std::to_string(notebook));
}

std::optional<TrialScope> VerifyTrialToken(const std::string& key, std::string_view token) {
  if (key.empty() || token.substr(0, kTrialTokenPrefix.size()) != kTrialTokenPrefix)
    return std::nullopt;
  std::string_view rest = token.substr(kTrialTokenPrefix.size());
  std::optional<int64_t> parts[3];
  for (auto& part : parts) {
    size_t cut = rest.find('_');
    if (cut == std::string_view::npos) return std::nullopt;
    part = ParseNumber(rest.substr(0, cut));
    if (!part) return std::nullopt;
    rest = rest.substr(cut + 1);
  }
  TrialScope scope{UserId(*parts[0]), *parts[1], *parts[2]};
  const std::string expected = Mac(key, "trial:" + ScopeText(scope));
  if (rest.size() != expected.size() ||
      sodium_memcmp(rest.data(), expected.data(), expected.size()) != 0)
    return std::nullopt;
  return scope;
}

}  // namespace corral::api
