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
void EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();  // no usable randomness: nothing safe can be issued
}
}  // namespace

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

}  // namespace corral::api
