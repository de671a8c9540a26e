#include "tune/vector_math.h"

#include <cmath>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CORRAL_LIBMVEC 1
// glibc declares these vector variants only under -ffast-math; the declarations are repeated here
// so that this file alone uses them, with IEEE semantics everywhere else. Linking libm pulls in
// libmvec as needed.
extern "C" {
double exp(double) noexcept __attribute__((simd("notinbranch")));
double erfc(double) noexcept __attribute__((simd("notinbranch")));
}
#endif

namespace corral::tune {
namespace {

#if CORRAL_LIBMVEC
// Dispatched by hand on one cached CPU check, so that both variants are plain functions (no
// ifunc) and the choice is visible here.
__attribute__((target("arch=x86-64-v3"))) void ExpAvx2(double* x, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; ++i) x[i] = exp(x[i]);
}
__attribute__((target("arch=x86-64-v3"))) void ErfcAvx2(double* x, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; ++i) x[i] = erfc(x[i]);
}
void ExpSse2(double* x, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; ++i) x[i] = exp(x[i]);
}
void ErfcSse2(double* x, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; ++i) x[i] = erfc(x[i]);
}
bool HasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}
#endif

}  // namespace

void ExpInPlace(double* x, size_t n) {
#if CORRAL_LIBMVEC
  return HasAvx2() ? ExpAvx2(x, n) : ExpSse2(x, n);
#else
  for (size_t i = 0; i < n; ++i) x[i] = std::exp(x[i]);
#endif
}

void ErfcInPlace(double* x, size_t n) {
#if CORRAL_LIBMVEC
  return HasAvx2() ? ErfcAvx2(x, n) : ErfcSse2(x, n);
#else
  for (size_t i = 0; i < n; ++i) x[i] = std::erfc(x[i]);
#endif
}

}  // namespace corral::tune
