#include "tune/rng.h"

#include <cmath>
#include <cstdio>
#include <numbers>

namespace corral::tune {
namespace {

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng::Rng(uint64_t seed) {
  uint64_t x = seed;
  for (auto& w : s_) w = SplitMix64(x);
}

uint64_t Rng::NextU64() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

double Rng::Uniform01() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

uint64_t Rng::Below(uint64_t n) {
  // Rejection keeps the result exactly uniform.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = NextU64();
  while (x >= limit);
  return x % n;
}

double Rng::Normal() {
  double u1;
  do u1 = Uniform01();
  while (u1 <= 0.0);
  const double u2 = Uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

Rng Rng::Split() { return Rng(NextU64()); }

std::string Rng::ToString() const {
  char buf[4 * 16 + 4];
  std::snprintf(buf, sizeof buf, "%016llx%016llx%016llx%016llx",
                static_cast<unsigned long long>(s_[0]), static_cast<unsigned long long>(s_[1]),
                static_cast<unsigned long long>(s_[2]), static_cast<unsigned long long>(s_[3]));
  return buf;
}

Result<Rng> Rng::FromString(std::string_view text) {
  if (text.size() != 64) return InvalidArgument("rng", "rng state must be 64 hex digits");
  Rng rng;
  for (int w = 0; w < 4; ++w) {
    uint64_t v = 0;
    for (int i = 0; i < 16; ++i) {
      const char c = text[w * 16 + i];
      int d;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else
        return InvalidArgument("rng", "rng state must be 64 hex digits");
      v = (v << 4) | static_cast<uint64_t>(d);
    }
    rng.s_[w] = v;
  }
  if ((rng.s_[0] | rng.s_[1] | rng.s_[2] | rng.s_[3]) == 0)
    return InvalidArgument("rng", "rng state must not be all zero");
  return rng;
}

}  // namespace corral::tune
