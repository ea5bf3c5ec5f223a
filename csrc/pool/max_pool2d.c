/*
 * pool/max_pool2d.c - max_pool2d forward (values and argmax indices) and backward, float
 * and double.
 *
 * One OpenMP parallel region per call, split over the n*c planes (planes are independent,
 * so results never depend on the thread count); small calls run serially. A 2x2 stride-2
 * fast path covers the common CNN case. Other geometries with column stride 1 or 2 scan
 * their interior windows (all column taps inside the plane) many outputs at a time:
 * AVX2 kernels (max_pool2d_avx2.c) where the ISA allows AVX2, auto-vectorised loops
 * elsewhere; border windows use the scalar scan. The bodies live in max_pool2d_tmpl.h,
 * instantiated for float and double.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "fastconv/pool.h"
#include "pool/pool_internal.h"

/* Below this many window taps a call runs on one thread (waking threads costs more). */
#define POOL_PAR_MIN 32768

/* Outputs per portable interior sweep (m[] and k[] stay in L1), and the fewest interior
   outputs of a row worth a sweep (one 32-byte vector of T: the AVX2 kernels' minimum). */
#define POOL_CHUNK 256
#define POOL_VL ((int64_t)(32 / sizeof(T)))


/*
 * One axis of a window starting at `start` with k taps spaced `dil`, over an input of
 * length `size`: [*lo, *hi) are the in-bounds tap coordinates (step dil, *lo == *hi when
 * none is inside), *fallback the coordinate a window with no value above -inf reports:
 * its first in-bounds tap, else the input coordinate nearest to its start.
 */
static inline void fc_pool_axis(int64_t start, int64_t k, int64_t dil, int64_t size,
                                int64_t *lo, int64_t *hi, int64_t *fallback)
{
    /* k is small: stepping over the taps is cheaper than two 64-bit divisions */
    int64_t i0 = 0, i1 = k;
    while (i0 < k && start + i0 * dil < 0)
        i0++;
    while (i1 > i0 && start + (i1 - 1) * dil >= size)
        i1--;
    if (i0 < i1) {
        *lo = start + i0 * dil;
        *hi = start + (i1 - 1) * dil + 1;
        *fallback = *lo;
    } else {
        *lo = *hi = 0;
        *fallback = start < 0 ? 0 : (start >= size ? size - 1 : start);
    }
}

#if defined(__GNUC__) || defined(__clang__)
#define POOL_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define POOL_ALWAYS_INLINE inline
#endif


#define FC_TMPL "pool/max_pool2d_tmpl.h"
#include "core/tmpl.h"

void fc_max_pool2d_forward(fc_dtype dt, const fc_pool2d_params *p, const void *x, void *y,
                           int64_t *idx, int nthreads)
{
    FC_BY_DTYPE(dt, fc_max_pool2d_forward, p, x, y, idx, nthreads);
}

void fc_max_pool2d_backward(fc_dtype dt, const fc_pool2d_params *p, const void *dy,
                            const int64_t *idx, void *dx, int nthreads)
{
    FC_BY_DTYPE(dt, fc_max_pool2d_backward, p, dy, idx, dx, nthreads);
}
