#include "tune/sobol_sequence.h"

#include "tune/rng.h"
#include "tune/sobol_directions.h"

namespace corral::tune {

Result<SobolSequence> SobolSequence::Create(int dims, uint64_t seed) {
  if (dims < 1 || dims > kSobolMaxDims)
    return InvalidArgument(
        "params", "Sobol sampling supports 1 to " + std::to_string(kSobolMaxDims) + " parameters");
  SobolSequence s;
  s.dims_ = dims;
  s.directions_.assign(static_cast<size_t>(dims) * kBits, 0);
  for (int d = 0; d < dims; ++d) {
    uint32_t* v = &s.directions_[static_cast<size_t>(d) * kBits];
    const uint32_t poly = kSobolDirections[d].poly;
    int degree = 0;
    while ((poly >> (degree + 1)) != 0) ++degree;
    if (d == 0) {
      for (int j = 0; j < kBits; ++j) v[j] = 1;
    } else {
      for (int j = 0; j < degree; ++j) v[j] = kSobolDirections[d].m[j];
      for (int j = degree; j < kBits; ++j) {
        uint32_t nv = v[j - degree];
        uint32_t pow2 = 1;
        for (int k = 0; k < degree; ++k) {
          pow2 <<= 1;
          if ((poly >> (degree - 1 - k)) & 1u) nv ^= pow2 * v[j - k - 1];
        }
        v[j] = nv;
      }
    }
    // Column j holds m_j / 2^(j+1) as a 32-bit binary fraction.
    for (int j = 0; j < kBits; ++j) v[j] <<= (kBits - 1 - j);
  }
  Rng rng(seed ^ 0x5DEECE66Dull);
  s.shift_.resize(static_cast<size_t>(dims));
  for (int d = 0; d < dims; ++d) {
    // Random lower-triangular binary matrix with unit diagonal (row r acts on output bit r, counted
    // from the most significant), applied to every direction column.
    uint32_t rows[kBits];
    for (int r = 0; r < kBits; ++r) {
      const uint32_t diag = 1u << (kBits - 1 - r);
      const uint32_t above = r == 0 ? 0u : ~((1u << (kBits - r)) - 1u);  // bits more significant
      rows[r] = diag | (static_cast<uint32_t>(rng.NextU64()) & above);
    }
    uint32_t* v = &s.directions_[static_cast<size_t>(d) * kBits];
    for (int j = 0; j < kBits; ++j) {
      uint32_t out = 0;
      for (int r = 0; r < kBits; ++r)
        if (__builtin_parity(rows[r] & v[j])) out |= 1u << (kBits - 1 - r);
      v[j] = out;
    }
    s.shift_[static_cast<size_t>(d)] = static_cast<uint32_t>(rng.NextU64());
  }
  return s;
}

std::vector<double> SobolSequence::Point(uint64_t index) const {
  const uint64_t gray = index ^ (index >> 1);
  std::vector<double> x(static_cast<size_t>(dims_));
  for (int d = 0; d < dims_; ++d) {
    uint32_t acc = shift_[static_cast<size_t>(d)];
    const uint32_t* v = &directions_[static_cast<size_t>(d) * kBits];
    for (int j = 0; j < kBits && (gray >> j) != 0; ++j)
      if ((gray >> j) & 1u) acc ^= v[j];
    x[static_cast<size_t>(d)] = (static_cast<double>(acc) + 0.5) * 0x1.0p-32;
  }
  return x;
}

}  // namespace corral::tune
