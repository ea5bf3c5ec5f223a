/*
 * pool/adaptive_max_pool.c - adaptive max pooling forward (values and flat argmax
 * indices), float and double; its backward is max pooling's scatter.
 *
 * Output i of an axis pools the inputs [floor(i * size / out), ceil((i + 1) * size / out)).
 * The path depends on the geometry only:
 *   - one window per plane (global max pooling): lanes of 64 bytes each scan every
 *     lane-th element, vectorised, then the lanes and the tail are combined by the scan's
 *     own rule, which makes the result that of one row-major scan;
 *   - otherwise, per output row, each input column is scanned over the window's rows
 *     (vectorised across columns), then each window combines its columns' winners by the
 *     same rule, in row-major terms (ties to the lowest row, then column; NaN to the
 *     highest): the result of scanning the window row by row, at a fraction of the cost.
 * Planes are independent and split statically over the OpenMP threads, so results never
 * depend on the thread count. The bodies live in adaptive_max_pool_impl.h, included once
 * per element type.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/internal.h"
#include "fastconv/pool.h"

/* Below this many input elements a call runs on one thread. */
#define AMP_PAR_MIN 32768

#define AMP_CAT_(a, b) a##b
#define AMP_CAT(a, b) AMP_CAT_(a, b)
#define AMP_FN(name) AMP_CAT(AMP_CAT(adaptive_max_, name), AMP_CAT(_, SUFFIX))

/* Input rows or columns [*lo, *hi) of adaptive window i. */
static inline void amp_window(int64_t i, int64_t size, int64_t out, int64_t *lo, int64_t *hi)
{
    *lo = i * size / out;
    *hi = fc_ceil_div((i + 1) * size, out);
}

#define T float
#define K int32_t
#define K_MAX INT32_MAX
#define SUFFIX f32
#include "pool/adaptive_max_pool_impl.h"
#undef T
#undef K
#undef K_MAX
#undef SUFFIX

#define T double
#define K int64_t
#define K_MAX INT64_MAX
#define SUFFIX f64
#include "pool/adaptive_max_pool_impl.h"
#undef T
#undef K
#undef K_MAX
#undef SUFFIX

int fc_adaptive_max_pool2d_forward(fc_dtype dt, const fc_adaptive_pool2d_params *p,
                                   const void *x, void *y, int64_t *idx, int nthreads)
{
    return FC_BY_DTYPE(dt, adaptive_max_forward, p, x, y, idx, nthreads);
}

void fc_adaptive_max_pool2d_backward(fc_dtype dt, const fc_adaptive_pool2d_params *p,
                                     const void *dy, const int64_t *idx, void *dx,
                                     int nthreads)
{
    /* max pooling's backward is the same scatter: it reads only the sizes of q */
    fc_pool2d_params q = {p->n, p->c, p->h, p->w, p->oh, p->ow, 1, 1, 1, 1, 0, 0, 1, 1};
    fc_max_pool2d_backward(dt, &q, dy, idx, dx, nthreads);
}
