/*
 * pool/avg_pool.c - average pooling (avg_pool2d, adaptive_avg_pool2d) forward and backward,
 * float and double.
 *
 * A window's sum is separable. Each output row first sums its window's input rows into
 * a row buffer (contiguous, vectorised); each output then sums kw consecutive entries of
 * that buffer. The buffer holds the input row at offset pad_w with zeros around it, so
 * every window reads exactly kw entries (padding adds zeros) and the column pass needs
 * no clipping: 2- and 3-wide windows at column stride 1 or 2 are literal loops that
 * vectorise, other widths run one loop per tap (adaptive windows of varying widths, one
 * short loop per output). Each output's divisor (PyTorch's rules,
 * see fastconv/pool.h) is computed once per call into a table that every plane reads.
 * The backward runs the same passes transposed: dy / divisor expanded over each window's
 * columns into the row buffer, then added to the window's input rows; each dx row is
 * stored by the first output row that reaches it and zeroed when none does (no separate
 * zero pass). A window covering the whole plane (global average pooling) is one lane-wise
 * sum per plane forward and one broadcast store backward.
 *
 * One OpenMP parallel region per call, static split over the n*c planes: planes are
 * independent and each is computed the same way whatever the thread count. Small calls
 * run serially. The bodies live in avg_pool_impl.h, included once per element type.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core/internal.h"
#include "fastconv/pool.h"

/* Below this much work (input plus output elements) a call runs on one thread. */
#define AVG_PAR_MIN 32768

#define AVG_CAT_(a, b) a##b
#define AVG_CAT(a, b) AVG_CAT_(a, b)
#define AVG_FN(name) AVG_CAT(AVG_CAT(avg_pool_, name), AVG_CAT(_, SUFFIX))

#if defined(__GNUC__) || defined(__clang__)
#define AVG_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define AVG_ALWAYS_INLINE inline
#endif

/*
 * What every plane of one call shares: the windows and the divisor factors.
 * Output row oy sums input rows [r0[oy], r1[oy]). Output column ox sums row-buffer
 * entries [ox * sw, ox * sw + kw) when kw > 0 (uniform windows), else [cs[ox], ce[ox]);
 * input column c sits at buffer entry lpad + c and the other blen - w entries are zero.
 * Input column c lies in the windows of outputs [olo[c], ohi[c]) (the backward gathers).
 * The divisor of (oy, ox) is divisor_override when nonzero, else hcnt[oy] * wcnt[ox].
 * global: one window holding the whole plane.
 */
typedef struct {
    int64_t planes, h, w, oh, ow;
    int64_t kw, sw, lpad, blen;
    int64_t divisor_override;
    int64_t *r0, *r1, *hcnt;   /* oh each, in one block with the ow-long tables */
    int64_t *wcnt, *cs, *ce;   /* ow each (cs, ce: varying windows only) */
    int64_t *olo, *ohi;        /* w each */
    int global;
} avg_plan;

/* Allocate pl's tables; FC_ENOMEM when that failed. */
static int avg_plan_alloc(avg_plan *pl, int64_t oh, int64_t ow, int64_t w)
{
    pl->r0 = (int64_t *)malloc((size_t)(3 * oh + 3 * ow + 2 * w) * sizeof(int64_t));
    if (!pl->r0)
        return FC_ENOMEM;
    pl->r1 = pl->r0 + oh;
    pl->hcnt = pl->r1 + oh;
    pl->wcnt = pl->hcnt + oh;
    pl->cs = pl->wcnt + ow;
    pl->ce = pl->cs + ow;
    pl->olo = pl->ce + ow;
    pl->ohi = pl->olo + w;
    return FC_OK;
}

static void avg_plan_free(avg_plan *pl)
{
    free(pl->r0);
}

/* One axis of PyTorch's avg_pool2d window i: the in-bounds inputs [*lo, *hi) and the
   count its divisor uses (padding included or not). */
static void avg_axis(int64_t i, int64_t k, int64_t s, int64_t pad, int64_t size, int cip,
                     int64_t *lo, int64_t *hi, int64_t *count)
{
    const int64_t start = i * s - pad;
    const int64_t end = fc_min64(start + k, size + pad);   /* a ceil-mode overhang stops here */
    *lo = fc_max64(start, 0);
    *hi = fc_min64(end, size);
    *count = cip ? end - start : *hi - *lo;
}

/* olo, ohi from the column windows [start(ox), end(ox)) in buffer coordinates, which
   never decrease with ox (uniform: ox * sw, ox * sw + kw; varying: cs, ce). */
static void avg_plan_gather(avg_plan *pl)
{
    for (int64_t c = 0, lo = 0, hi = 0; c < pl->w; c++) {
        const int64_t b = pl->lpad + c;
        while (lo < pl->ow && (pl->kw ? lo * pl->sw + pl->kw : pl->ce[lo]) <= b)
            lo++;
        while (hi < pl->ow && (pl->kw ? hi * pl->sw : pl->cs[hi]) <= b)
            hi++;
        pl->olo[c] = lo;
        pl->ohi[c] = fc_max64(lo, hi);
    }
}

/* Fill pl for avg_pool2d; FC_ENOMEM when its tables could not be allocated. */
static int avg_plan_pool2d(avg_plan *pl, const fc_pool2d_params *p, int count_include_pad,
                           int64_t divisor_override)
{
    if (avg_plan_alloc(pl, p->oh, p->ow, p->w) != FC_OK)
        return FC_ENOMEM;
    pl->planes = p->n * p->c;
    pl->h = p->h, pl->w = p->w, pl->oh = p->oh, pl->ow = p->ow;
    pl->kw = p->kw, pl->sw = p->stride_w, pl->lpad = p->pad_w;
    pl->blen = fc_max64(p->pad_w + p->w, (p->ow - 1) * p->stride_w + p->kw);
    pl->divisor_override = divisor_override;
    for (int64_t oy = 0; oy < p->oh; oy++)
        avg_axis(oy, p->kh, p->stride_h, p->pad_h, p->h, count_include_pad, &pl->r0[oy],
                 &pl->r1[oy], &pl->hcnt[oy]);
    for (int64_t ox = 0; ox < p->ow; ox++) {
        int64_t lo, hi;
        avg_axis(ox, p->kw, p->stride_w, p->pad_w, p->w, count_include_pad, &lo, &hi,
                 &pl->wcnt[ox]);
    }
    pl->global = p->oh == 1 && p->ow == 1 && pl->r0[0] == 0 && pl->r1[0] == p->h
                 && p->kw - p->pad_w >= p->w;
    avg_plan_gather(pl);
    return FC_OK;
}

/* Fill pl for adaptive_avg_pool2d: window i of an axis of `size` inputs and `out` outputs
   is [floor(i * size / out), ceil((i + 1) * size / out)), PyTorch's rule; columns are
   uniform (kw = sw = w / ow) when ow divides w. */
static int avg_plan_adaptive(avg_plan *pl, const fc_adaptive_pool2d_params *p)
{
    if (avg_plan_alloc(pl, p->oh, p->ow, p->w) != FC_OK)
        return FC_ENOMEM;
    pl->planes = p->n * p->c;
    pl->h = p->h, pl->w = p->w, pl->oh = p->oh, pl->ow = p->ow;
    pl->lpad = 0, pl->blen = p->w, pl->divisor_override = 0;
    for (int64_t oy = 0; oy < p->oh; oy++) {
        pl->r0[oy] = oy * p->h / p->oh;
        pl->r1[oy] = fc_ceil_div((oy + 1) * p->h, p->oh);
        pl->hcnt[oy] = pl->r1[oy] - pl->r0[oy];
    }
    for (int64_t ox = 0; ox < p->ow; ox++) {
        pl->cs[ox] = ox * p->w / p->ow;
        pl->ce[ox] = fc_ceil_div((ox + 1) * p->w, p->ow);
        pl->wcnt[ox] = pl->ce[ox] - pl->cs[ox];
    }
    pl->kw = pl->sw = p->w % p->ow == 0 ? p->w / p->ow : 0;
    pl->global = p->oh == 1 && p->ow == 1;
    avg_plan_gather(pl);
    return FC_OK;
}

/* Threads for a call: one for small work or a single plane. */
static int avg_threads(const avg_plan *pl, int nthreads)
{
    const int64_t work = pl->planes * (pl->h * pl->w + pl->oh * pl->ow);
    return (nthreads > 1 && pl->planes > 1 && work >= AVG_PAR_MIN) ? nthreads : 1;
}

#define T float
#define SUFFIX f32
#include "pool/avg_pool_impl.h"
#undef T
#undef SUFFIX

#define T double
#define SUFFIX f64
#include "pool/avg_pool_impl.h"
#undef T
#undef SUFFIX

int fc_avg_pool2d_forward(fc_dtype dt, const fc_pool2d_params *p, int count_include_pad,
                          int64_t divisor_override, const void *x, void *y, int nthreads)
{
    avg_plan pl;
    if (avg_plan_pool2d(&pl, p, count_include_pad, divisor_override) != FC_OK)
        return FC_ENOMEM;
    int rc = FC_BY_DTYPE(dt, avg_pool_forward, &pl, x, y, nthreads);
    avg_plan_free(&pl);
    return rc;
}

int fc_avg_pool2d_backward(fc_dtype dt, const fc_pool2d_params *p, int count_include_pad,
                           int64_t divisor_override, const void *dy, void *dx, int nthreads)
{
    avg_plan pl;
    if (avg_plan_pool2d(&pl, p, count_include_pad, divisor_override) != FC_OK)
        return FC_ENOMEM;
    int rc = FC_BY_DTYPE(dt, avg_pool_backward, &pl, dy, dx, nthreads);
    avg_plan_free(&pl);
    return rc;
}

int fc_adaptive_avg_pool2d_forward(fc_dtype dt, const fc_adaptive_pool2d_params *p,
                                   const void *x, void *y, int nthreads)
{
    avg_plan pl;
    if (avg_plan_adaptive(&pl, p) != FC_OK)
        return FC_ENOMEM;
    int rc = FC_BY_DTYPE(dt, avg_pool_forward, &pl, x, y, nthreads);
    avg_plan_free(&pl);
    return rc;
}

int fc_adaptive_avg_pool2d_backward(fc_dtype dt, const fc_adaptive_pool2d_params *p,
                                    const void *dy, void *dx, int nthreads)
{
    avg_plan pl;
    if (avg_plan_adaptive(&pl, p) != FC_OK)
        return FC_ENOMEM;
    int rc = FC_BY_DTYPE(dt, avg_pool_backward, &pl, dy, dx, nthreads);
    avg_plan_free(&pl);
    return rc;
}
