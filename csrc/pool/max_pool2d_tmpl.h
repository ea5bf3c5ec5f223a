/*
 * pool/max_pool2d_tmpl.h - max_pool2d kernels for one element type (a template: see
 * core/tmpl.h), instantiated by max_pool2d.c, which supplies POOL_PAR_MIN, POOL_CHUNK,
 * POOL_VL and POOL_ALWAYS_INLINE. K is an integer type as wide as T (the interior loops'
 * tap offsets, so that they vectorise with the values).
 *
 * Semantics follow PyTorch's CPU kernel: scan each window in row-major order, replace the
 * running maximum when a value is larger or is NaN (so a NaN wins, the last NaN if
 * several), keep the first of equal maxima; a window with no value above -inf reports its
 * first in-bounds tap, or, when no tap is in bounds (a dilated window that straddles the
 * input), the input coordinate nearest to its start (PyTorch then returns an index
 * outside the plane; fastconv's index always lies in [0, h*w)).
 */
#if FC_T_IS_FLOAT
#define K int32_t
#define K_MAX INT32_MAX
#else
#define K int64_t
#define K_MAX INT64_MAX
#endif

/* One general window scan: the maximum of plane `xp` over rows [r0, r1) step dh and
   columns [c0, c1) step dw; `start` is the index reported when nothing beats -inf. */
static inline void FC_T(pool_window)(const T *xp, int64_t w, int64_t r0, int64_t r1,
                                     int64_t dh, int64_t c0, int64_t c1, int64_t dw,
                                   int64_t start, T *ymax, int64_t *yidx)
{
    T m = -(T)INFINITY;
    int64_t mi = start;
    for (int64_t r = r0; r < r1; r += dh) {
        const T *row = xp + r * w;
        for (int64_t c = c0; c < c1; c += dw) {
            const T v = row[c];
            /* take v when v > m or v is NaN. Kept free of data-dependent branches
               (random data mispredicts): an integer select for the index, a max for
               the value; only the rare NaN v branches. */
            const int64_t take = -(int64_t)((v > m) | (v != v));  /* all ones or 0 */
            mi = (mi & ~take) | ((r * w + c) & take);
            m = (v > m) ? v : m;
            m = (v != v) ? v : m;
        }
    }
    *ymax = m;
    *yidx = mi;
}

/* Output columns [ox0, ox1) of row oy, one scalar window scan each. */
static void FC_T(pool_row_scalar)(const fc_pool2d_params *p, const T *xp, int64_t r0,
                                  int64_t r1, int64_t rfall, int64_t oy, int64_t ox0,
                                int64_t ox1, T *yp, int64_t *ip)
{
    const int64_t w = p->w;
    for (int64_t ox = ox0; ox < ox1; ox++) {
        int64_t c0, c1, cfall;
        fc_pool_axis(ox * p->stride_w - p->pad_w, p->kw, p->dil_w, w, &c0, &c1, &cfall);
        T m;
        int64_t mi;
        FC_T(pool_window)(xp, w, r0, r1, p->dil_h, c0, c1, p->dil_w, rfall * w + cfall, &m, &mi);
        yp[oy * p->ow + ox] = m;
        if (ip)
            ip[oy * p->ow + ox] = mi;
    }
}

/*
 * Interior windows (every column tap inside the plane), portable version: across up to
 * POOL_CHUNK outputs of a row at once, one loop per tap, in window()'s tap order (rows,
 * then columns), updates the running maxima m[] and tap offsets k[] with window()'s
 * select. Each output sees the same updates in the same order as in window(), so values
 * and indices are identical, and the loops over outputs auto-vectorise. SW, the column
 * stride, is a literal 1 or 2 after inlining (unit or pair strided loads).
 */
static POOL_ALWAYS_INLINE void FC_T(pool_tap_idx)(const T *restrict src, T *restrict m,
                                                  K *restrict k, K off, int64_t len,
                                                const int64_t SW)
{
    for (int64_t i = 0; i < len; i++) {
        const T v = src[i * SW];
        const int t = (v > m[i]) | (v != v);
        m[i] = t ? v : m[i];
        k[i] = t ? off : k[i];
    }
}

static POOL_ALWAYS_INLINE void FC_T(pool_tap_val)(const T *restrict src, T *restrict m,
                                                  int64_t len, const int64_t SW)
{
    for (int64_t i = 0; i < len; i++) {
        const T v = src[i * SW];
        const int t = (v > m[i]) | (v != v);
        m[i] = t ? v : m[i];
    }
}

/* Interior outputs [ox0, ox0 + n) of one row whose in-bounds tap rows are [r0, r1), r0 < r1;
   y and ip point at output ox0. Taps lie at most h*w - 1 <= K_MAX past a window's first. */
static POOL_ALWAYS_INLINE void FC_T(pool_row_interior_body)(
    const fc_pool2d_params *p, const T *xp, int64_t r0, int64_t r1, int64_t ox0, int64_t n,
    T *y, int64_t *ip, const int64_t SW)
{
    const int64_t w = p->w, dh = p->dil_h, kw = p->kw, dw = p->dil_w;
    K kbuf[POOL_CHUNK];
    for (int64_t o = 0; o < n; o += POOL_CHUNK) {
        const int64_t len = fc_min64(POOL_CHUNK, n - o);
        const int64_t first = r0 * w + (ox0 + o) * SW - p->pad_w;  /* output o's first tap */
        T *m = y + o;
        for (int64_t i = 0; i < len; i++)
            m[i] = -(T)INFINITY;
        if (ip)
            for (int64_t i = 0; i < len; i++)
                kbuf[i] = 0;
        for (int64_t r = r0; r < r1; r += dh) {
            for (int64_t j = 0; j < kw; j++) {
                const int64_t off = (r - r0) * w + j * dw;
                if (ip)
                    FC_T(pool_tap_idx)(xp + first + off, m, kbuf, (K)off, len, SW);
                else
                    FC_T(pool_tap_val)(xp + first + off, m, len, SW);
            }
        }
        if (ip)
            for (int64_t i = 0; i < len; i++)
                ip[o + i] = first + i * SW + (int64_t)kbuf[i];
    }
}

static void FC_T(pool_row_interior)(const fc_pool2d_params *p, const T *xp, int64_t r0,
                                    int64_t r1, int64_t ox0, int64_t n, T *y, int64_t *ip)
{
    if (p->stride_w == 1)
        FC_T(pool_row_interior_body)(p, xp, r0, r1, ox0, n, y, ip, 1);
    else
        FC_T(pool_row_interior_body)(p, xp, r0, r1, ox0, n, y, ip, 2);
}

typedef void (*FC_T(pool_row_fn))(const fc_pool2d_params *, const T *, int64_t, int64_t,
                                  int64_t, int64_t, T *, int64_t *);

/* One input plane -> one output plane, any geometry. `interior` (NULL: none) scans the
   output columns [ia, ib) whose column taps all lie inside the plane. */
static void FC_T(pool_plane_general)(const fc_pool2d_params *p, const T *xp, T *yp,
                                     int64_t *ip, FC_T(pool_row_fn) interior, int64_t ia,
                                   int64_t ib)
{
    for (int64_t oy = 0; oy < p->oh; oy++) {
        int64_t r0, r1;  /* first in-bounds tap row and one past the last */
        int64_t rfall;   /* row reported by a window with no value above -inf */
        fc_pool_axis(oy * p->stride_h - p->pad_h, p->kh, p->dil_h, p->h, &r0, &r1, &rfall);
        if (!interior || r0 >= r1) {
            FC_T(pool_row_scalar)(p, xp, r0, r1, rfall, oy, 0, p->ow, yp, ip);
            continue;
        }
        FC_T(pool_row_scalar)(p, xp, r0, r1, rfall, oy, 0, ia, yp, ip);
        interior(p, xp, r0, r1, ia, ib - ia, yp + oy * p->ow + ia,
                 ip ? ip + oy * p->ow + ia : NULL);
        FC_T(pool_row_scalar)(p, xp, r0, r1, rfall, oy, ib, p->ow, yp, ip);
    }
}

/* Fast path: 2x2 windows, stride 2, no padding or dilation, every window inside.
   Selects instead of branches in PyTorch's scan order; the in-window offset has type K
   (as wide as T) so that the compiler can vectorise the loop over output columns. */
static void FC_T(pool_plane_2x2)(const fc_pool2d_params *p, const T *xp, T *yp, int64_t *ip)
{
    const int64_t w = p->w, oh = p->oh, ow = p->ow;
    const K k_w = (K)w, k_w1 = (K)(w + 1);   /* w < 2**31: checked by the Cython layer */
    for (int64_t oy = 0; oy < oh; oy++) {
        const T *top = xp + (2 * oy) * w;
        const T *bot = top + w;
        T *yrow = yp + oy * ow;
        const int64_t base = 2 * oy * w;
        if (!ip) {
            for (int64_t ox = 0; ox < ow; ox++) {
                const T a = top[2 * ox], b = top[2 * ox + 1];
                const T c = bot[2 * ox], d = bot[2 * ox + 1];
                T m = a;
                m = ((b > m) | (b != b)) ? b : m;
                m = ((c > m) | (c != c)) ? c : m;
                m = ((d > m) | (d != d)) ? d : m;
                yrow[ox] = m;
            }
            continue;
        }
        int64_t *irow = ip + oy * ow;
        for (int64_t ox = 0; ox < ow; ox++) {
            const T a = top[2 * ox], b = top[2 * ox + 1];
            const T c = bot[2 * ox], d = bot[2 * ox + 1];
            T m = a;
            K k = 0;
            int t = (b > m) | (b != b);
            m = t ? b : m;
            k = t ? (K)1 : k;
            t = (c > m) | (c != c);
            m = t ? c : m;
            k = t ? k_w : k;
            t = (d > m) | (d != d);
            m = t ? d : m;
            k = t ? k_w1 : k;
            yrow[ox] = m;
            irow[ox] = base + 2 * ox + (int64_t)k;
        }
    }
}

static void FC_T(fc_max_pool2d_forward)(const fc_pool2d_params *p, const T *x, T *y,
                                        int64_t *idx, int nthreads)
{
    const int64_t planes = p->n * p->c;
    const int64_t in_plane = p->h * p->w, out_plane = p->oh * p->ow;
    const int fast = p->kh == 2 && p->kw == 2 && p->stride_h == 2 && p->stride_w == 2
                     && p->pad_h == 0 && p->pad_w == 0 && p->dil_h == 1 && p->dil_w == 1
                     && 2 * p->oh <= p->h && 2 * p->ow <= p->w;
    const int64_t work = planes * out_plane * p->kh * p->kw;
    /* interior output columns [ia, ib): ox * sw - pw >= 0 and its last tap < w */
    const int64_t sw = p->stride_w, last = p->w - 1 - (p->kw - 1) * p->dil_w + p->pad_w;
    const int64_t ia = fc_min64((p->pad_w + sw - 1) / sw, p->ow);
    const int64_t ib = last < 0 ? ia : fc_max64(ia, fc_min64(last / sw + 1, p->ow));
    FC_T(pool_row_fn) interior = NULL;
    if (!fast && ib - ia >= POOL_VL && (sw == 1 || sw == 2)
        && in_plane - 1 <= (int64_t)K_MAX) {
        interior = FC_T(pool_row_interior);
#ifdef FC_POOL_HAVE_AVX2
        if (fc_isa_now() >= FC_ISA_AVX2)
            interior = FC_T(fc_max_pool2d_interior_avx2);
#endif
    }
    (void)nthreads;
    (void)work;
    #pragma omp parallel for num_threads(nthreads) if(nthreads > 1 && work >= POOL_PAR_MIN && planes > 1) schedule(static)
    for (int64_t pl = 0; pl < planes; pl++) {
        const T *xp = x + pl * in_plane;
        T *yp = y + pl * out_plane;
        int64_t *ip = idx ? idx + pl * out_plane : NULL;
        if (fast)
            FC_T(pool_plane_2x2)(p, xp, yp, ip);
        else
            FC_T(pool_plane_general)(p, xp, yp, ip, interior, ia, ib);
    }
}

static void FC_T(fc_max_pool2d_backward)(const fc_pool2d_params *p, const T *dy,
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

#undef K
#undef K_MAX
