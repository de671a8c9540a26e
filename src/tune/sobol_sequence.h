#pragma once

#include <cstdint>
#include <vector>

#include "common/result.h"

namespace corral::tune {

// Scrambled Sobol points in [0,1)^d with random access by index: linear matrix scrambling plus a
// random digital shift, both fixed by the seed, keep the net structure (every 2^m consecutive
// points from index 0 stratify each coordinate into 2^m cells) while removing the lattice bias.
class SobolSequence {
 public:
  static Result<SobolSequence> Create(int dims, uint64_t seed);
  int dims() const { return dims_; }
  std::vector<double> Point(uint64_t index) const;

 private:
  static constexpr int kBits = 32;
  int dims_ = 0;
  std::vector<uint32_t> directions_;  // dims_ x kBits
  std::vector<uint32_t> shift_;
};

}  // namespace corral::tune
