/*
 * pool_impl.h - max_pool2d kernels written once for one element type.
 *
 * Included by pool.c with T (the element type) and SUFFIX (f32 / f64) defined; the
 * includer supplies POOL_CAT, POOL_FN and POOL_PAR_MIN. Semantics follow PyTorch's CPU
 * kernel: scan each window in row-major order, replace the running maximum when a value
 * is larger or is NaN (so a NaN wins, the last NaN if several), keep the first of equal
 * maxima; a window with no value above -inf reports its first in-bounds tap.
 */

/* One general window scan: the maximum of plane `xp` over rows [r0, r1) step dh and
   columns [c0, c1) step dw; `start` is the index reported when nothing beats -inf. */
static inline void POOL_FN(window)(const T *xp, int64_t w, int64_t r0, int64_t r1,
                                   int64_t dh, int64_t c0, int64_t c1, int64_t dw,
                                   int64_t start, T *ymax, int64_t *yidx)
{
    T m = -(T)INFINITY;
    int64_t mi = start;
    for (int64_t r = r0; r < r1; r += dh) {
        const T *row = xp + r * w;
        for (int64_t c = c0; c < c1; c += dw) {
            T v = row[c];
            if (v > m || v != v) {
                m = v;
                mi = r * w + c;
            }
        }
    }
    *ymax = m;
    *yidx = mi;
}

/* One input plane -> one output plane, any geometry. */
static void POOL_FN(plane_general)(const fc_pool2d_params *p, const T *xp, T *yp,
                                   int64_t *ip)
{
    const int64_t h = p->h, w = p->w;
    for (int64_t oy = 0; oy < p->oh; oy++) {
        int64_t r0, r1;  /* first in-bounds tap row and one past the last */
        int64_t rfall;   /* row reported by a window with no value above -inf */
        fc_pool_axis(oy * p->stride_h - p->pad_h, p->kh, p->dil_h, h, &r0, &r1, &rfall);
        for (int64_t ox = 0; ox < p->ow; ox++) {
            int64_t c0, c1, cfall;
            fc_pool_axis(ox * p->stride_w - p->pad_w, p->kw, p->dil_w, w, &c0, &c1, &cfall);
            T m;
            int64_t mi;
            POOL_FN(window)(xp, w, r0, r1, p->dil_h, c0, c1, p->dil_w, rfall * w + cfall,
                            &m, &mi);
            yp[oy * p->ow + ox] = m;
            if (ip)
                ip[oy * p->ow + ox] = mi;
        }
    }
}

/* Fast path: 2x2 windows, stride 2, no padding or dilation, every window inside. */
static void POOL_FN(plane_2x2)(const fc_pool2d_params *p, const T *xp, T *yp, int64_t *ip)
{
    const int64_t w = p->w, oh = p->oh, ow = p->ow;
    for (int64_t oy = 0; oy < oh; oy++) {
        const T *top = xp + (2 * oy) * w;
        const T *bot = top + w;
        for (int64_t ox = 0; ox < ow; ox++) {
            const int64_t c = 2 * ox;
            const int64_t base = 2 * oy * w + c;
            T m = top[c];
            int64_t mi = base;
            T v = top[c + 1];
            if (v > m || v != v) { m = v; mi = base + 1; }
            v = bot[c];
            if (v > m || v != v) { m = v; mi = base + w; }
            v = bot[c + 1];
            if (v > m || v != v) { m = v; mi = base + w + 1; }
            yp[oy * ow + ox] = m;
            if (ip)
                ip[oy * ow + ox] = mi;
        }
    }
}

void POOL_CAT(fc_max_pool2d_forward_, SUFFIX)(const fc_pool2d_params *p, const T *x, T *y,
                                              int64_t *idx, int nthreads)
{
    const int64_t planes = p->n * p->c;
    const int64_t in_plane = p->h * p->w, out_plane = p->oh * p->ow;
    const int fast = p->kh == 2 && p->kw == 2 && p->stride_h == 2 && p->stride_w == 2
                     && p->pad_h == 0 && p->pad_w == 0 && p->dil_h == 1 && p->dil_w == 1
                     && 2 * p->oh <= p->h && 2 * p->ow <= p->w;
    const int64_t work = planes * out_plane * p->kh * p->kw;
    (void)nthreads;
    (void)work;
    #pragma omp parallel for num_threads(nthreads) if(nthreads > 1 && work >= POOL_PAR_MIN && planes > 1) schedule(static)
    for (int64_t pl = 0; pl < planes; pl++) {
        const T *xp = x + pl * in_plane;
        T *yp = y + pl * out_plane;
        int64_t *ip = idx ? idx + pl * out_plane : NULL;
        if (fast)
            POOL_FN(plane_2x2)(p, xp, yp, ip);
        else
            POOL_FN(plane_general)(p, xp, yp, ip);
    }
}

void POOL_CAT(fc_max_pool2d_backward_, SUFFIX)(const fc_pool2d_params *p, const T *dy,
                                               const int64_t *idx, T *dx, int nthreads)
{
    const int64_t planes = p->n * p->c;
    const int64_t in_plane = p->h * p->w, out_plane = p->oh * p->ow;
    const int64_t work = planes * (in_plane + out_plane);
    (void)nthreads;
    (void)work;
    /* planes are independent, so each thread owns whole dx planes: no write collides,
       and each plane sums its contributions in output order whatever the thread count */
    #pragma omp parallel for num_threads(nthreads) if(nthreads > 1 && work >= POOL_PAR_MIN && planes > 1) schedule(static)
    for (int64_t pl = 0; pl < planes; pl++) {
        T *dxp = dx + pl * in_plane;
        const T *dyp = dy + pl * out_plane;
        const int64_t *ip = idx + pl * out_plane;
        for (int64_t i = 0; i < in_plane; i++)
            dxp[i] = 0;
        for (int64_t o = 0; o < out_plane; o++)
            dxp[ip[o]] += dyp[o];
    }
}
