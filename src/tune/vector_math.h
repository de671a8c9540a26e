#pragma once

#include <cstddef>

namespace corral::tune {

// Element-wise exp and erfc over arrays, in place. On x86-64 with GCC they go through glibc's
// vector math library (libmvec, at most 4 ulp from the scalar functions; AVX2 when the CPU has
// it), which is 4-5 times faster than one call per element: the kernel density estimates of TPE
// spend most of their time here. Elsewhere they are the scalar loops.
void ExpInPlace(double* x, size_t n);
void ErfcInPlace(double* x, size_t n);

}  // namespace corral::tune
