/*
 * pool/pool_internal.h - what max_pool2d.c and max_pool2d_avx2.c share: the AVX2
 * interior-row kernels.
 *
 * fc_max_pool2d_interior_avx2_*: max pooling of interior outputs [ox0, ox0 + n) of one
 * output row (every column tap inside the plane), column stride 1 or 2, n >= 32 bytes of
 * T (8 floats, 4 doubles); r0 < r1 are the in-bounds tap rows, y and ip (NULL: no indices)
 * point at output ox0. Same values and indices as the scalar scan. Call only when the
 * ISA is avx2 or better.
 */
#ifndef FC_POOL_INTERNAL_H
#define FC_POOL_INTERNAL_H

#include <stdint.h>

#include "fastconv/pool.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define FC_POOL_HAVE_AVX2 1
void fc_max_pool2d_interior_avx2_f32(const fc_pool2d_params *p, const float *xp, int64_t r0,
                                     int64_t r1, int64_t ox0, int64_t n, float *y,
                                     int64_t *ip);
void fc_max_pool2d_interior_avx2_f64(const fc_pool2d_params *p, const double *xp,
                                     int64_t r0, int64_t r1, int64_t ox0, int64_t n,
                                     double *y, int64_t *ip);
#endif

#endif /* FC_POOL_INTERNAL_H */
