#include "api/passwords.h"

#include <sodium.h>

#include <cstdlib>

#include "api/tokens.h"
#include "common/utf8.h"

namespace corral::api {
namespace {

// libsodium's "interactive" argon2id cost: 2 passes over 64 MiB.
constexpr unsigned long long kOpsLimit = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
constexpr size_t kMemLimit = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;

}  // namespace

Status CheckNewPassword(std::string_view password, const std::string& field) {
  if (password.size() < kMinPasswordBytes)
    return InvalidArgument(
        field, "must be at least " + std::to_string(kMinPasswordBytes) + " characters long");
  if (password.size() > kMaxPasswordBytes)
    return InvalidArgument(field,
                           "must be at most " + std::to_string(kMaxPasswordBytes) + " bytes long");
  if (!IsValidUtf8(password)) return InvalidArgument(field, "must be valid UTF-8");
  for (char c : password)
    if (c == '\0' || c == '\n' || c == '\r')
      return InvalidArgument(field, "must not contain NUL or line breaks");
  return Status::Ok();
}

Result<std::string> HashPassword(std::string_view password) {
  EnsureSodium();
  char out[crypto_pwhash_argon2id_STRBYTES];
  if (crypto_pwhash_argon2id_str(out, password.data(), password.size(), kOpsLimit, kMemLimit) != 0)
    return Status(StatusCode::kUnavailable, "not enough memory to hash the password; try again");
  return std::string(out);
}

bool VerifyPassword(std::string_view password, const std::string& encoded_hash) {
  EnsureSodium();
  if (encoded_hash.empty() || encoded_hash.size() >= crypto_pwhash_argon2id_STRBYTES) return false;
  return crypto_pwhash_argon2id_str_verify(encoded_hash.c_str(), password.data(),
                                           password.size()) == 0;
}

const std::string& DecoyPasswordHash() {
  static const std::string decoy = [] {
    EnsureSodium();
    unsigned char secret[32];
    randombytes_buf(secret, sizeof secret);
    auto hash =
        HashPassword(std::string_view(reinterpret_cast<const char*>(secret), sizeof secret));
    sodium_memzero(secret, sizeof secret);
    return hash.ok() ? *hash : std::string();
  }();
  return decoy;
}

}  // namespace corral::api
