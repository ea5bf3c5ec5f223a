/*
 * pool.c - max_pool2d forward (values and argmax indices) and backward, float and double.
 *
 * One OpenMP parallel region per call, split over the n*c planes (planes are independent,
 * so results never depend on the thread count); small calls run serially. A 2x2 stride-2
 * fast path covers the common CNN case. The bodies live in pool_impl.h, included once per
 * element type.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "fastconv.h"

/* Below this many window taps a call runs on one thread (waking threads costs more). */
#define POOL_PAR_MIN 32768

#define POOL_CAT_(a, b) a##b
#define POOL_CAT(a, b) POOL_CAT_(a, b)
#define POOL_FN(name) POOL_CAT(POOL_CAT(pool_, name), POOL_CAT(_, SUFFIX))

/*
 * One axis of a window starting at `start` with k taps spaced `dil`, over an input of
 * length `size`: [*lo, *hi) are the in-bounds tap coordinates (step dil, *lo == *hi when
 * none is inside), *fallback the coordinate a window with no value above -inf reports:
 * its first in-bounds tap, else the input coordinate nearest to its start.
 */
static inline void fc_pool_axis(int64_t start, int64_t k, int64_t dil, int64_t size,
                                int64_t *lo, int64_t *hi, int64_t *fallback)
{
    int64_t i0 = start < 0 ? (-start + dil - 1) / dil : 0;         /* first tap >= 0 */
    int64_t i1 = start < size ? (size - start + dil - 1) / dil : 0; /* taps < size */
    if (i1 > k)
        i1 = k;
    if (i0 < i1) {
        *lo = start + i0 * dil;
        *hi = start + (i1 - 1) * dil + 1;
        *fallback = *lo;
    } else {
        *lo = *hi = 0;
        *fallback = start < 0 ? 0 : (start >= size ? size - 1 : start);
    }
}

#define T float
#define SUFFIX f32
#include "pool_impl.h"
#undef T
#undef SUFFIX

#define T double
#define SUFFIX f64
#include "pool_impl.h"
#undef T
#undef SUFFIX
