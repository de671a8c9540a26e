#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace corral::tune {

// xoshiro256** with its own distributions, so that a sequence depends only on the seed and the
// draws made (not on the standard library's distribution code), and the whole generator state
// round-trips through a short string. Restoring a study therefore resumes its exact sequence.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0);

  uint64_t NextU64();
  // Uniform in [0, 1) with 53 random bits.
  double Uniform01();
  double Uniform(double low, double high) { return low + (high - low) * Uniform01(); }
  // Uniform in [0, n); n > 0.
  uint64_t Below(uint64_t n);
  // Standard normal (Box-Muller; no cached second value so the state is the four words only).
  double Normal();

  // Independent generator derived from this one's next output (used to give each sampler
  // component its own stream).
  Rng Split();

  std::string ToString() const;
  static Result<Rng> FromString(std::string_view text);

  friend bool operator==(const Rng&, const Rng&) = default;

 private:
  uint64_t s_[4];
};

}  // namespace corral::tune
