/*
 * avg_pool_impl.h - average pooling kernels written once for one element type.
 *
 * Included by avg_pool.c with T (the element type) and SUFFIX (f32 / f64) defined; the
 * includer supplies avg_plan, avg_threads, AVG_FN and AVG_ALWAYS_INLINE. Sums run in T:
 * a window's rows first (in row order), then its columns (in column order); the global
 * path sums a plane in lanes of 64 bytes, then the lanes pairwise.
 */

#define AVG_LANES ((int64_t)(64 / sizeof(T)))

/* The divisor table (oh * ow) of a call, NULL when it could not be allocated. */
static T *AVG_FN(divisors)(const avg_plan *pl)
{
    T *dv = (T *)fc_aligned_malloc(pl->oh * pl->ow * (int64_t)sizeof(T));
    if (!dv)
        return NULL;
    for (int64_t oy = 0; oy < pl->oh; oy++)
        for (int64_t ox = 0; ox < pl->ow; ox++)
            dv[oy * pl->ow + ox] = pl->divisor_override
                                       ? (T)pl->divisor_override
                                       : (T)(pl->hcnt[oy] * pl->wcnt[ox]);
    return dv;
}

/* Sum of x[0 .. n), in AVG_LANES lanes, then the lanes pairwise, then the tail. */
static inline T AVG_FN(plane_sum)(const T *restrict x, int64_t n)
{
    T acc[AVG_LANES];
    for (int64_t l = 0; l < AVG_LANES; l++)
        acc[l] = 0;
    int64_t i = 0;
    for (; i + AVG_LANES <= n; i += AVG_LANES)
        for (int64_t l = 0; l < AVG_LANES; l++)
            acc[l] += x[i + l];
    for (int64_t half = AVG_LANES / 2; half >= 1; half /= 2)
        for (int64_t l = 0; l < half; l++)
            acc[l] += acc[l + half];
    T s = acc[0];
    for (; i < n; i++)
        s += x[i];
    return s;
}

/* ------------------------------------------------------------------ forward */

/* rs[c] = sum over rows [r0, r1) of x[r][c] (r0 < r1), in row order. */
static inline void AVG_FN(row_sum)(const T *restrict x, int64_t w, int64_t r0, int64_t r1,
                                   T *restrict rs)
{
    const T *a = x + r0 * w;
    if (r1 - r0 == 1) {
        for (int64_t c = 0; c < w; c++)
            rs[c] = a[c];
        return;
    }
    const T *b = a + w;
    if (r1 - r0 == 3) {
        const T *d = b + w;
        for (int64_t c = 0; c < w; c++)
            rs[c] = (a[c] + b[c]) + d[c];
        return;
    }
    for (int64_t c = 0; c < w; c++)
        rs[c] = a[c] + b[c];
    for (int64_t r = r0 + 2; r < r1; r++) {
        const T *row = x + r * w;
        for (int64_t c = 0; c < w; c++)
            rs[c] += row[c];
    }
}

/* y[ox] = (b[ox*SW] + ... + b[ox*SW + KW-1]) / d[ox]; KW and SW are literals after
   inlining (2 or 3, 1 or 2), so the loop over outputs vectorises. */
static AVG_ALWAYS_INLINE void AVG_FN(cols_fixed)(const T *restrict b, const T *restrict d,
                                                 T *restrict y, int64_t ow, const int64_t KW,
                                                 const int64_t SW)
{
    for (int64_t ox = 0; ox < ow; ox++) {
        T s = b[ox * SW] + b[ox * SW + 1];
        if (KW == 3)
            s += b[ox * SW + 2];
        y[ox] = s / d[ox];
    }
}

/* The column pass of one output row: uniform windows of any kw and sw run one loop per
   tap, in tap order; varying (adaptive) windows one short loop per output. */
static void AVG_FN(cols)(const avg_plan *pl, const T *restrict b, const T *restrict d,
                         T *restrict y)
{
    const int64_t ow = pl->ow, kw = pl->kw, sw = pl->sw;
    if (kw == 0) {
        for (int64_t ox = 0; ox < ow; ox++) {
            const int64_t c1 = pl->ce[ox];
            T s = b[pl->cs[ox]];
            for (int64_t c = pl->cs[ox] + 1; c < c1; c++)
                s += b[c];
            y[ox] = s / d[ox];
        }
    } else if (sw == 2 && kw == 2)
        AVG_FN(cols_fixed)(b, d, y, ow, 2, 2);
    else if (sw == 2 && kw == 3)
        AVG_FN(cols_fixed)(b, d, y, ow, 3, 2);
    else if (sw == 1 && kw == 2)
        AVG_FN(cols_fixed)(b, d, y, ow, 2, 1);
    else if (sw == 1 && kw == 3)
        AVG_FN(cols_fixed)(b, d, y, ow, 3, 1);
    else {
        for (int64_t ox = 0; ox < ow; ox++)
            y[ox] = b[ox * sw];
        for (int64_t j = 1; j < kw; j++)
            for (int64_t ox = 0; ox < ow; ox++)
                y[ox] += b[ox * sw + j];
        for (int64_t ox = 0; ox < ow; ox++)
            y[ox] /= d[ox];
    }
}

/* One plane; buf is this thread's row buffer (blen entries, zero outside the row). */
static void AVG_FN(plane_forward)(const avg_plan *pl, const T *x, T *y, const T *dv, T *buf)
{
    const int64_t w = pl->w, ow = pl->ow;
    for (int64_t oy = 0; oy < pl->oh; oy++) {
        AVG_FN(row_sum)(x, w, pl->r0[oy], pl->r1[oy], buf + pl->lpad);
        AVG_FN(cols)(pl, buf, dv + oy * ow, y + oy * ow);
    }
}

static int AVG_FN(forward)(const avg_plan *pl, const T *x, T *y, int nthreads)
{
    const int64_t in_plane = pl->h * pl->w, out_plane = pl->oh * pl->ow;
    const int nt = avg_threads(pl, nthreads);
    T *dv = AVG_FN(divisors)(pl);
    const int64_t stride = fc_pad_elems(pl->blen, (int64_t)sizeof(T));
    T *bufs = pl->global ? NULL : (T *)fc_aligned_malloc(nt * stride * (int64_t)sizeof(T));
    if (!dv || (!pl->global && !bufs)) {
        fc_aligned_free(dv);
        fc_aligned_free(bufs);
        return FC_ENOMEM;
    }
    #pragma omp parallel num_threads(nt) if(nt > 1)
    {
        T *buf = bufs ? bufs + fc_thread_num() * stride : NULL;
        if (buf)
            for (int64_t i = 0; i < pl->blen; i++)
                buf[i] = 0;
        #pragma omp for schedule(static)
        for (int64_t p = 0; p < pl->planes; p++) {
            if (pl->global)
                y[p] = AVG_FN(plane_sum)(x + p * in_plane, in_plane) / dv[0];
            else
                AVG_FN(plane_forward)(pl, x + p * in_plane, y + p * out_plane, dv, buf);
        }
    }
    fc_aligned_free(bufs);
    fc_aligned_free(dv);
    return FC_OK;
}

/* ------------------------------------------------------------------ backward */

/* e[lpad + c] = the sum of g over the windows holding input column c, in output order,
   for c in [0, w). Literal 2- and 3-wide windows at stride 2 store the whole span in one
   pass; other windows gather (scattering would store and reload overlapping pieces of
   e, which stalls store forwarding). */
static void AVG_FN(expand)(const avg_plan *pl, const T *restrict g, T *restrict e)
{
    const int64_t ow = pl->ow, kw = pl->kw, sw = pl->sw;
    if (sw == 2 && kw == 2) {
        for (int64_t i = 0; i < ow; i++) {
            e[2 * i] = g[i];
            e[2 * i + 1] = g[i];
        }
        return;
    }
    if (sw == 2 && kw == 3) {
        e[0] = g[0];
        e[1] = g[0];
        for (int64_t i = 1; i < ow; i++) {
            e[2 * i] = g[i - 1] + g[i];
            e[2 * i + 1] = g[i];
        }
        e[2 * ow] = g[ow - 1];
        return;
    }
    T *restrict ec = e + pl->lpad;
    for (int64_t c = 0; c < pl->w; c++) {
        const int64_t lo = pl->olo[c], hi = pl->ohi[c];
        T s = 0;
        if (lo < hi) {
            s = g[lo];
            for (int64_t ox = lo + 1; ox < hi; ox++)
                s += g[ox];
        }
        ec[c] = s;
    }
}

/* One plane. buf: blen row-buffer entries (zero past the windows' span) then ow for
   dy / divisor. Rows [0, done) of dx are written; the others still hold garbage. */
static void AVG_FN(plane_backward)(const avg_plan *pl, const T *dy, T *dx, const T *dv,
                                   T *buf)
{
    const int64_t w = pl->w, ow = pl->ow;
    T *restrict g = buf + pl->blen;
    const T *restrict e = buf + pl->lpad;
    int64_t done = 0;
    for (int64_t oy = 0; oy < pl->oh; oy++) {
        const T *dyr = dy + oy * ow, *d = dv + oy * ow;
        for (int64_t ox = 0; ox < ow; ox++)
            g[ox] = dyr[ox] / d[ox];
        AVG_FN(expand)(pl, g, buf);
        const int64_t r0 = pl->r0[oy], r1 = pl->r1[oy];
        for (; done < r0; done++)                   /* rows no window reaches */
            for (int64_t c = 0; c < w; c++)
                dx[done * w + c] = 0;
        for (int64_t r = r0; r < done && r < r1; r++) {
            T *row = dx + r * w;
            for (int64_t c = 0; c < w; c++)
                row[c] += e[c];
        }
        for (; done < r1; done++) {
            T *row = dx + done * w;
            for (int64_t c = 0; c < w; c++)
                row[c] = e[c];
        }
    }
    for (; done < pl->h; done++)
        for (int64_t c = 0; c < w; c++)
            dx[done * w + c] = 0;
}

static int AVG_FN(backward)(const avg_plan *pl, const T *dy, T *dx, int nthreads)
{
    const int64_t in_plane = pl->h * pl->w, out_plane = pl->oh * pl->ow;
    const int nt = avg_threads(pl, nthreads);
    T *dv = AVG_FN(divisors)(pl);
    const int64_t stride = fc_pad_elems(pl->blen + pl->ow, (int64_t)sizeof(T));
    T *bufs = pl->global ? NULL : (T *)fc_aligned_malloc(nt * stride * (int64_t)sizeof(T));
    if (!dv || (!pl->global && !bufs)) {
        fc_aligned_free(dv);
        fc_aligned_free(bufs);
        return FC_ENOMEM;
    }
    #pragma omp parallel num_threads(nt) if(nt > 1)
    {
        T *buf = bufs ? bufs + fc_thread_num() * stride : NULL;
        if (buf)
            for (int64_t i = 0; i < pl->blen; i++)
                buf[i] = 0;
        #pragma omp for schedule(static)
        for (int64_t p = 0; p < pl->planes; p++) {
            if (pl->global) {
                const T v = dy[p] / dv[0];
                T *dxp = dx + p * in_plane;
                for (int64_t i = 0; i < in_plane; i++)
                    dxp[i] = v;
            } else {
                AVG_FN(plane_backward)(pl, dy + p * out_plane, dx + p * in_plane, dv, buf);
            }
        }
    }
    fc_aligned_free(bufs);
    fc_aligned_free(dv);
    return FC_OK;
}

#undef AVG_LANES
