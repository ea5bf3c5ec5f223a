/*
 * conv/winograd_tmpl.h - the Winograd F(2x2, 3x3) and F(2x2, 5x5) forward and weight
 * gradient for one element type (a template: see core/tmpl.h), after the transforms
 * (winograd_transforms_tmpl.h, winograd5_transforms_tmpl.h); instantiated by winograd.c,
 * which describes the method, the layout and why results do not depend on the thread
 * count. Both tile sizes share the plans, blocks, GEMMs and threads; they differ in the
 * transforms and in how a block's tiles reach them (F(2x2, 3x3): runs along tile rows;
 * F(2x2, 5x5): one loop over the block, wino5_*_block). plan_wino_* decides blocks,
 * chunks, threads and scratch; run_wino_* is the OpenMP region.
 */

/* The weight transform of input tile side a (4: F(2x2, 3x3), 6: F(2x2, 5x5)) for isa. */
typedef void (*FC_T(wino_weight_fn_t))(const T *, int64_t, T *, int64_t);

static FC_T(wino_weight_fn_t) FC_T(wino_weight_fn)(fc_isa isa, int64_t a)
{
    return a == 6 ? FC_WINO_PICK(FC_T(wino5_weight_run), isa, 1)
                  : FC_WINO_PICK(FC_T(wino_weight_run), isa, 1);
}

/* dg = G^T dU G of one kernel (dU element xi at du[xi*us]). */
static void FC_T(wino_weight_grad_of)(int64_t a, const T *du, int64_t us, T *dg)
{
    if (a == 6)
        FC_T(wino5_weight_grad)(du, us, dg);
    else
        FC_T(wino_weight_grad)(du, us, dg);
}

/* Elements per channel of the input copy of one image's share of a block: tiles of at
 * most tb/tw + 2 tile rows, each reading a input rows, a - 2 shared with the next;
 * F(2x2, 3x3) keeps each row's even and odd columns (wq each), F(2x2, 5x5) 12 planes of
 * half as many rows and tw columns (wino5_input_block). */
static int64_t FC_T(wino_qplane)(const fc_wino_geom *g, int64_t tb)
{
    const int64_t rows = 2 * fc_min64(g->th, tb / g->tw + 2) + g->a - 2;
    return g->a == 6 ? 12 * (rows / 2) * g->tw : rows * 2 * g->wq;
}

/* Zeroes columns cnt..cols of V (the GEMM reads whole micro-tiles). */
static void FC_T(wino_zero_tail)(const fc_wino_geom *g, int64_t C, int64_t cs, int64_t tb,
                                 int64_t cnt, int64_t cols, T *v)
{
    for (int64_t c = 0; cols > cnt && c < C; c++)
        for (int64_t xi = 0; xi < g->nxi; xi++)
            memset(v + c * cs + xi * tb + cnt, 0, (size_t)(cols - cnt) * sizeof(T));
}

/*
 * F(2x2, 5x5): V[C][36][tb] of tiles [t0, t0 + cnt) of x (as wino_input_block). For each
 * image the block touches, the input rows its tiles read are copied, zero-padded, into
 * the 12 planes per channel that wino5_input_tiles reads (winograd5_transforms_tmpl.h):
 * plane (rp, s, p), ps apart, row R = input row 2R + rp of the block's first tile row,
 * columns 2(tx + s) + p; then one loop transforms all of the image's tiles.
 */
static void FC_T(wino5_input_block)(fc_isa isa, const fc_conv2d_params *p,
                                    const fc_wino_geom *g, const T *x, int64_t t0,
                                    int64_t cnt, int64_t tb, int64_t cols, T *q, T *v)
{
    const int64_t C = p->c_in, cs = FC_T(wino_cstride)(g->nxi, tb), hw = p->h * p->w;
    const int64_t tw = g->tw;
    void (*deint)(const T *, int64_t, int64_t, int64_t, T *, T *) =
        FC_WINO_PICK(FC_T(wino_deinterleave), isa, FC_T(wino_wide)(tw));
    for (int64_t t = t0; t < t0 + cnt;) {
        const int64_t img = t / g->tpi, tend = fc_min64(t0 + cnt, (img + 1) * g->tpi);
        const int64_t ty0 = (t % g->tpi) / tw, ty1 = ((tend - 1) % g->tpi) / tw;
        const int64_t nrows = 2 * (ty1 - ty0) + 6, ps = (nrows / 2) * tw, plane = 12 * ps;
        for (int64_t c = 0; c < C; c++)
            for (int64_t rr = 0; rr < nrows; rr++) {
                const int64_t sy = 2 * ty0 + rr - p->pad_h;
                T *dst = q + c * plane + (rr % 2) * 6 * ps + (rr / 2) * tw;
                for (int64_t s = 0; s < 3; s++) {
                    if (sy < 0 || sy >= p->h) {
                        memset(dst + 2 * s * ps, 0, (size_t)tw * sizeof(T));
                        memset(dst + (2 * s + 1) * ps, 0, (size_t)tw * sizeof(T));
                    } else {
                        deint(x + (img * C + c) * hw + sy * p->w, p->w, p->pad_w - 2 * s, tw,
                              dst + 2 * s * ps, dst + (2 * s + 1) * ps);
                    }
                }
            }
        const int64_t l0 = t % g->tpi - ty0 * tw, len = tend - t;
        void (*run)(const T *, int64_t, int64_t, int64_t, T *, int64_t) =
            FC_WINO_PICK(FC_T(wino5_input_tiles), isa, FC_T(wino_wide)(len));
        for (int64_t c = 0; c < C; c++)
            run(q + c * plane + l0, ps, tw, len, v + c * cs + (t - t0), tb);
        t = tend;
    }
    FC_T(wino_zero_tail)(g, C, cs, tb, cnt, cols, v);
}

/* F(2x2, 5x5): y of tiles [t0, t0 + cnt) from M (as wino_output_block): per output
 * channel, one loop over the block into the four streams of `rows` (4*tb values), then
 * each run's outputs copied into y, clipped at the edges. */
static void FC_T(wino5_output_block)(fc_isa isa, const fc_conv2d_params *p,
                                     const fc_wino_geom *g, const T *m, int64_t t0,
                                     int64_t cnt, int64_t tb, const T *bias, int relu, T *y,
                                     T *rows)
{
    const int64_t K = p->c_out, cs = FC_T(wino_cstride)(g->nxi, tb);
    void (*run)(const T *, int64_t, int64_t, T, int, T *, int64_t) =
        FC_WINO_PICK(FC_T(wino5_output_tiles), isa, FC_T(wino_wide)(cnt));
    fc_wino_run r;
    for (int64_t k = 0; k < K; k++) {
        run(m + k * cs, tb, cnt, bias ? bias[k] : (T)0, relu, rows, tb);
        for (int64_t t = t0; t < t0 + cnt;) {
            t = fc_wino_next_run(p, g, t, t0, cnt, &r);
            T *dst = y + ((r.img * K + k) * p->oh + r.oy) * p->ow + r.ox;
            for (int64_t a = 0; a < r.nrow; a++) {
                const T *e = rows + 2 * a * tb + r.off, *o = e + tb;
                T *d = dst + a * p->ow;
                for (int64_t l = 0; l < r.ncol / 2; l++) {
                    d[2 * l] = e[l];
                    d[2 * l + 1] = o[l];
                }
                if (r.ncol % 2)
                    d[r.ncol - 1] = e[r.ncol / 2];
            }
        }
    }
}

/* F(2x2, 5x5): dM of tiles [t0, t0 + cnt) from dy (as wino_grad_output_block): per
 * output channel, each run's dY copied into the four streams of `rows` (4*tb values,
 * zero past the edges), then one loop over the block. */
static void FC_T(wino5_grad_output_block)(fc_isa isa, const fc_conv2d_params *p,
                                          const fc_wino_geom *g, const T *dy, int64_t t0,
                                          int64_t cnt, int64_t tb, T *dm, T *rows)
{
    const int64_t K = p->c_out, cs = FC_T(wino_cstride)(g->nxi, tb);
    void (*run)(const T *, int64_t, int64_t, T *, int64_t) =
        FC_WINO_PICK(FC_T(wino5_grad_output_tiles), isa, FC_T(wino_wide)(cnt));
    fc_wino_run r;
    for (int64_t k = 0; k < K; k++) {
        for (int64_t t = t0; t < t0 + cnt;) {
            t = fc_wino_next_run(p, g, t, t0, cnt, &r);
            const T *src = dy + ((r.img * K + k) * p->oh + r.oy) * p->ow + r.ox;
            for (int64_t a = 0; a < 2; a++) {
                T *e = rows + 2 * a * tb + r.off, *o = e + tb;
                const int64_t n = a < r.nrow ? r.ncol : 0; /* columns inside */
                const T *s = n ? src + a * p->ow : src;
                for (int64_t l = 0; l < n / 2; l++) {
                    e[l] = s[2 * l];
                    o[l] = s[2 * l + 1];
                }
                for (int64_t l = n / 2; l < r.len; l++) {
                    e[l] = 2 * l < n ? s[2 * l] : (T)0;
                    o[l] = (T)0;
                }
            }
        }
        run(rows, tb, cnt, dm + k * cs, tb);
    }
}

/*
 * V[C][nxi][tb] (channel stride wino_cstride) of tiles [t0, t0 + cnt) of x; columns
 * cnt..cols are zeroed (the GEMM reads whole micro-tiles). Element xi of a channel sits
 * tb values after xi - 1, so the nxi streams a transform writes fall in different cache
 * sets. For each image the block touches, the input rows its tiles read are first
 * deinterleaved, zero-padded, into q (per channel: rows of wq even then wq odd columns),
 * so that every tile row is one contiguous vectorised run.
 */
static void FC_T(wino_input_block)(fc_isa isa, const fc_conv2d_params *p,
                                   const fc_wino_geom *g, const T *x, int64_t t0,
                                   int64_t cnt, int64_t tb, int64_t cols, T *q, T *v)
{
    if (g->a == 6) {
        FC_T(wino5_input_block)(isa, p, g, x, t0, cnt, tb, cols, q, v);
        return;
    }
    const int64_t C = p->c_in, cs = FC_T(wino_cstride)(g->nxi, tb), hw = p->h * p->w;
    const int64_t wq = g->wq;
    for (int64_t t = t0; t < t0 + cnt;) {
        const int64_t img = t / g->tpi, tend = fc_min64(t0 + cnt, (img + 1) * g->tpi);
        const int64_t ty0 = (t % g->tpi) / g->tw, ty1 = ((tend - 1) % g->tpi) / g->tw;
        const int64_t nrows = 2 * (ty1 - ty0) + g->a, plane = nrows * 2 * wq;
        for (int64_t c = 0; c < C; c++)
            for (int64_t rr = 0; rr < nrows; rr++) {
                const int64_t sy = 2 * ty0 + rr - p->pad_h;
                T *dst = q + c * plane + rr * 2 * wq;
                if (sy < 0 || sy >= p->h) {
                    memset(dst, 0, (size_t)(2 * wq) * sizeof(T));
                    continue;
                }
                FC_WINO_PICK(FC_T(wino_deinterleave), isa, FC_T(wino_wide)(wq))(
                    x + (img * C + c) * hw + sy * p->w, p->w, p->pad_w, wq, dst, dst + wq);
            }
        fc_wino_run r;
        while (t < tend) {
            t = fc_wino_next_run(p, g, t, t0, cnt, &r);
            const T *base = q + 2 * (r.ty - ty0) * 2 * wq + r.tx;
            void (*run)(const T *, int64_t, int64_t, int64_t, T *, int64_t) =
                FC_WINO_PICK(FC_T(wino_input_run), isa, FC_T(wino_wide)(r.len));
            for (int64_t c = 0; c < C; c++)
                run(base + c * plane, 2 * wq, wq, r.len, v + c * cs + r.off, tb);
        }
    }
    FC_T(wino_zero_tail)(g, C, cs, tb, cnt, cols, v);
}

/* y of tiles [t0, t0 + cnt) from M[K][nxi][tb] (channel stride wino_cstride), + bias,
 * ReLU; `rows` (4*tb values) takes the runs whose outputs are clipped at an edge. */
static void FC_T(wino_output_block)(fc_isa isa, const fc_conv2d_params *p,
                                    const fc_wino_geom *g,
                                  const T *m, int64_t t0, int64_t cnt, int64_t tb,
                                  const T *bias, int relu, T *y, T *rows)
{
    if (g->a == 6) {
        FC_T(wino5_output_block)(isa, p, g, m, t0, cnt, tb, bias, relu, y, rows);
        return;
    }
    const int64_t K = p->c_out, cs = FC_T(wino_cstride)(g->nxi, tb);
    fc_wino_run r;
    for (int64_t t = t0; t < t0 + cnt;) {
        t = fc_wino_next_run(p, g, t, t0, cnt, &r);
        void (*run)(const T *, int64_t, int64_t, T, int, T *, T *) =
            FC_WINO_PICK(FC_T(wino_output_run), isa, FC_T(wino_wide)(r.len));
        for (int64_t k = 0; k < K; k++) {
            T *dst = y + ((r.img * K + k) * p->oh + r.oy) * p->ow + r.ox;
            run(
                m + k * cs + r.off, tb, r.len, bias ? bias[k] : (T)0, relu,
                r.inside ? dst : rows, r.inside ? dst + p->ow : rows + 2 * tb);
            for (int64_t a = 0; !r.inside && a < r.nrow; a++)
                memcpy(dst + a * p->ow, rows + a * 2 * tb, (size_t)r.ncol * sizeof(T));
        }
    }
}

/* dM[K][nxi][tb] (channel stride wino_cstride) of tiles [t0, t0 + cnt) from dy; `rows`
 * (4*tb values) takes the runs that reach past an edge, zero-padded. */
static void FC_T(wino_grad_output_block)(fc_isa isa, const fc_conv2d_params *p,
                                         const fc_wino_geom *g,
                                       const T *dy, int64_t t0, int64_t cnt, int64_t tb,
                                       T *dm, T *rows)
{
    if (g->a == 6) {
        FC_T(wino5_grad_output_block)(isa, p, g, dy, t0, cnt, tb, dm, rows);
        return;
    }
    const int64_t K = p->c_out, cs = FC_T(wino_cstride)(g->nxi, tb);
    fc_wino_run r;
    for (int64_t t = t0; t < t0 + cnt;) {
        t = fc_wino_next_run(p, g, t, t0, cnt, &r);
        void (*run)(const T *, const T *, int64_t, T *, int64_t) =
            FC_WINO_PICK(FC_T(wino_grad_output_run), isa, FC_T(wino_wide)(r.len));
        for (int64_t k = 0; k < K; k++) {
            const T *src = dy + ((r.img * K + k) * p->oh + r.oy) * p->ow + r.ox;
            for (int64_t a = 0; !r.inside && a < 2; a++) { /* zero past the edges */
                T *row = rows + a * 2 * tb;
                const int64_t n = a < r.nrow ? r.ncol : 0;
                memcpy(row, src + a * p->ow, (size_t)n * sizeof(T));
                memset(row + n, 0, (size_t)(2 * r.len - n) * sizeof(T));
            }
            run(r.inside ? src : rows, r.inside ? src + p->ow : rows + 2 * tb, r.len,
                dm + k * cs + r.off, tb);
        }
    }
}

/* GEMM B operand read in place from a row-major matrix (ptr, row stride rs). */
static const T *FC_T(wino_rows)(const OPD *op, int64_t x0, int64_t k0, int64_t kn,
                                int64_t *boff)
{
    for (int64_t q = 0; q < kn; q++)
        boff[q] = (k0 + q) * op->rs;
    return op->ptr + x0;
}

/* GEMM packer for the weight gradient's operands, both stored as rows (ptr, row stride
 * rs) along the tiles, the GEMM's depth: rows x0.. become the columns of r-wide panels
 * (A: dM, rows = output channels; B: V, rows = input channels). */
static void FC_T(wino_pack_rows)(const OPD *op, int64_t x0, int64_t xn, int64_t k0,
                                 int64_t kn, int64_t r, T *dst)
{
    int64_t off[FC_NR_MAX > FC_MR_MAX ? FC_NR_MAX : FC_MR_MAX];
    for (int64_t i0 = 0; i0 < xn; i0 += r, dst += r * kn) {
        const int64_t lanes = fc_min64(r, xn - i0);
        for (int64_t l = 0; l < lanes; l++)
            off[l] = (x0 + i0 + l) * op->rs + k0;
        FC_T(transpose_rows)(op->ptr, off, lanes, kn, dst, r);
    }
}

/* One thread's scratch in a Winograd pass: V, M (or dM), GEMM work, clipped-run rows and
 * deinterleaved input rows, each cache-line aligned. */
typedef struct {
    T *v, *m, *work, *rows, *q;
} FC_T(wino_bufs);

/* Elements of one thread's scratch (work_n: the GEMM's); with base, carves it up. */
static int64_t FC_T(wino_thread_scratch)(const fc_conv2d_params *p, const fc_wino_geom *g,
                                         int64_t tb, int64_t work_n, T *base,
                                         FC_T(wino_bufs) *b)
{
    const int64_t cs = FC_T(wino_cstride)(g->nxi, tb);
    const int64_t n[5] = {fc_pad_elems(p->c_in * cs, sizeof(T)),
                          fc_pad_elems(p->c_out * cs, sizeof(T)), work_n,
                          fc_pad_elems(4 * tb, sizeof(T)),
                          fc_pad_elems(p->c_in * FC_T(wino_qplane)(g, tb), sizeof(T))};
    if (b) {
        b->v = base;
        b->m = b->v + n[0];
        b->work = b->m + n[1];
        b->rows = b->work + n[2];
        b->q = b->rows + n[3];
    }
    return n[0] + n[1] + n[2] + n[3] + n[4];
}

/* What plan_wino_forward and plan_wino_wgrad decide. */
typedef struct {
    const GKR *kr;
    fc_wino_geom g;
    int64_t C, K;             /* input and output channels */
    int64_t tb, nblk, cs;     /* tiles per block, blocks, channel stride of V and M */
    int64_t nch, part;        /* weight gradient: tile chunks, elements of a dU partial */
    int64_t nt;               /* threads */
    int64_t usz, uraw;        /* forward: a packed U[xi]; all of U unpacked */
    int64_t work_n, per_thread;
} FC_T(wino_plan);

/* The tile blocking both passes share. */
static void FC_T(plan_wino)(fc_isa isa, const fc_conv2d_params *p, FC_T(wino_plan) *pl)
{
    pl->g = fc_wino_geometry(p);
    pl->C = p->c_in;
    pl->K = p->c_out;
    pl->kr = FC_T(fc_gemm_select)(isa, pl->K);
    pl->tb = fc_wino_block(pl->g.nxi, pl->kr->nr, pl->C, pl->K, sizeof(T));
    pl->nblk = fc_ceil_div(pl->g.tiles, pl->tb);
    pl->cs = FC_T(wino_cstride)(pl->g.nxi, pl->tb);
}

/* Threads for `tasks` tasks: one below FC_CONV_PARALLEL_MIN multiply-adds. */
static int64_t FC_T(wino_threads)(const fc_conv2d_params *p, int nthreads, int64_t tasks)
{
    int64_t nt = nthreads < 1 ? 1 : nthreads;
    if (p->n * p->c_out * p->c_in * p->kh * p->kw * p->oh * p->ow < FC_CONV_PARALLEL_MIN)
        nt = 1;
    return fc_max64(1, fc_min64(nt, tasks));
}

/* ------------------------------------------------------------------ forward */

/* Tasks are blocks of tiles; U is transformed and packed once per call. */
static void FC_T(plan_wino_forward)(fc_isa isa, const fc_conv2d_params *p, int nthreads,
                                    FC_T(wino_plan) *pl)
{
    FC_T(plan_wino)(isa, p, pl);
    pl->nch = pl->part = 0;
    pl->nt = FC_T(wino_threads)(p, nthreads, pl->nblk);
    pl->usz = fc_pad_elems(FC_T(fc_gemm_packed_a_size)(pl->kr, pl->K, pl->C), sizeof(T));
    pl->uraw = fc_pad_elems(pl->g.nxi * pl->K * pl->C, sizeof(T));
    pl->work_n = FC_T(fc_gemm_work_size)(pl->kr, pl->tb);
    pl->per_thread = FC_T(wino_thread_scratch)(p, &pl->g, pl->tb, pl->work_n, NULL, NULL);
}

/* Scratch: the packed U[xi], U, each thread's buffers. */
static int64_t FC_T(wino_forward_scratch)(const FC_T(wino_plan) *pl)
{
    return pl->g.nxi * pl->usz + pl->uraw + pl->nt * pl->per_thread;
}

/* Block b: transform its tiles, nxi GEMMs M[xi] = U[xi] @ V[xi], transform back into y. */
static void FC_T(wino_forward_block)(fc_isa isa, const fc_conv2d_params *p,
                                     const FC_T(wino_plan) *pl, int64_t b, const T *x,
                                     const T *upack, const T *bias, T *y, int relu,
                                     const FC_T(wino_bufs) *bf)
{
    const GKR *kr = pl->kr;
    const int64_t tb = pl->tb, t0 = b * tb, cnt = fc_min64(tb, pl->g.tiles - t0);
    const int64_t cols = fc_round_up(cnt, kr->nr);
    FC_T(wino_input_block)(isa, p, &pl->g, x, t0, cnt, tb, cols, bf->q, bf->v);
    for (int64_t xi = 0; xi < pl->g.nxi; xi++) {
        OPD A = {.packed = upack + xi * pl->usz};
        OPD B = {.ptr = bf->v + xi * tb, .rs = pl->cs, .rows = FC_T(wino_rows)};
        FC_T(fc_gemm_serial)(kr, pl->K, cols, pl->C, (T)1, &A, &B, (T)0, bf->m + xi * tb,
                             pl->cs, NULL, 0, bf->work);
    }
    FC_T(wino_output_block)(isa, p, &pl->g, bf->m, t0, cnt, tb, bias, relu, y, bf->rows);
}

/* The OpenMP region: U = G g G^T (u[xi][k][c]), packed per xi, then the blocks. */
static void FC_T(run_wino_forward)(fc_isa isa, const fc_conv2d_params *p,
                                   const FC_T(wino_plan) *pl, const T *x, const T *w,
                                   const T *bias, T *y, int relu, T *scratch)
{
    const int64_t K = pl->K, C = pl->C, a = pl->g.a, nxi = pl->g.nxi, taps = (a - 1) * (a - 1);
    T *upack = scratch, *u = upack + nxi * pl->usz, *thr = u + pl->uraw;
#pragma omp parallel num_threads((int)pl->nt) if (pl->nt > 1)
    {
        const int64_t tid = fc_thread_num(), nthr = fc_num_threads();
        FC_T(wino_bufs) bf;
        FC_T(wino_thread_scratch)(p, &pl->g, pl->tb, pl->work_n, thr + tid * pl->per_thread,
                                  &bf);
        int64_t lo, hi;
        fc_split(K * C, tid, nthr, &lo, &hi);
        FC_T(wino_weight_fn)(isa, a)(w + lo * taps, hi - lo, u + lo, K * C);
#pragma omp barrier
        fc_split(nxi, tid, nthr, &lo, &hi);
        for (int64_t xi = lo; xi < hi; xi++) {
            OPD ua = {.pack = FC_T(fc_pack_a_strided), .ptr = u + xi * K * C, .rs = C,
                      .cs = 1};
            FC_T(fc_gemm_prepack_a)(pl->kr, K, C, &ua, upack + xi * pl->usz);
        }
#pragma omp barrier
#pragma omp for schedule(dynamic, 1)
        for (int64_t b = 0; b < pl->nblk; b++)
            FC_T(wino_forward_block)(isa, p, pl, b, x, upack, bias, y, relu, &bf);
    }
}

int FC_T(fc_conv2d_forward_winograd)(fc_isa isa, const fc_conv2d_params *p, const T *x,
                                     const T *w, const T *bias, T *y, int relu,
                                     int nthreads)
{
    FC_T(wino_plan) pl;
    FC_T(plan_wino_forward)(isa, p, nthreads, &pl);
    T *scratch = (T *)fc_scratch_get(FC_T(wino_forward_scratch)(&pl) * (int64_t)sizeof(T));
    if (!scratch)
        return FC_ENOMEM;
    FC_T(run_wino_forward)(isa, p, &pl, x, w, bias, y, relu, scratch);
    fc_scratch_put(scratch);
    return FC_OK;
}

/* ------------------------------------------------------------------ weight gradient */

/* Tasks are chunks of blocks (fc_wino_chunks: a count set by the shapes only), each
 * summing its own dU partial; the partials are then added in chunk order. */
static void FC_T(plan_wino_wgrad)(fc_isa isa, const fc_conv2d_params *p, int nthreads,
                                  FC_T(wino_plan) *pl)
{
    FC_T(plan_wino)(isa, p, pl);
    pl->part = fc_pad_elems(pl->g.nxi * pl->K * pl->C, sizeof(T));
    pl->nch = fc_wino_chunks(pl->nblk, pl->part * (int64_t)sizeof(T));
    pl->nt = FC_T(wino_threads)(p, nthreads, pl->nch);
    pl->usz = pl->uraw = 0;
    pl->work_n = FC_T(fc_gemm_work_size)(pl->kr, pl->C);
    pl->per_thread = FC_T(wino_thread_scratch)(p, &pl->g, pl->tb, pl->work_n, NULL, NULL);
}

/* Scratch: the chunks' dU partials, each thread's buffers. */
static int64_t FC_T(wino_wgrad_scratch)(const FC_T(wino_plan) *pl)
{
    return pl->nch * pl->part + pl->nt * pl->per_thread;
}

/* Chunk ch: its dU partial over its blocks, each block's nxi GEMMs added in order. */
static void FC_T(wino_wgrad_chunk)(fc_isa isa, const fc_conv2d_params *p,
                                   const FC_T(wino_plan) *pl, int64_t ch, const T *x,
                                   const T *dy, T *parts, const FC_T(wino_bufs) *bf)
{
    const int64_t tb = pl->tb, K = pl->K, C = pl->C, cs = pl->cs;
    int64_t b0, b1;
    fc_split(pl->nblk, ch, pl->nch, &b0, &b1);
    for (int64_t b = b0; b < b1; b++) {
        const int64_t t0 = b * tb, cnt = fc_min64(tb, pl->g.tiles - t0);
        FC_T(wino_input_block)(isa, p, &pl->g, x, t0, cnt, tb, cnt, bf->q, bf->v);
        FC_T(wino_grad_output_block)(isa, p, &pl->g, dy, t0, cnt, tb, bf->m, bf->rows);
        for (int64_t xi = 0; xi < pl->g.nxi; xi++) {
            OPD A = {.pack = FC_T(wino_pack_rows), .ptr = bf->m + xi * tb, .rs = cs};
            OPD B = {.pack = FC_T(wino_pack_rows), .ptr = bf->v + xi * tb, .rs = cs};
            FC_T(fc_gemm_serial)(pl->kr, K, C, cnt, (T)1, &A, &B, b == b0 ? (T)0 : (T)1,
                                 parts + ch * pl->part + xi * K * C, C, NULL, 0, bf->work);
        }
    }
}

/* The OpenMP region: the chunks, dU = their sum in chunk order (into chunk 0's), then
 * dw[k][c] = G^T dU G. */
static void FC_T(run_wino_wgrad)(fc_isa isa, const fc_conv2d_params *p,
                                 const FC_T(wino_plan) *pl, const T *x, const T *dy, T *dw,
                                 T *scratch)
{
    const int64_t KC = pl->K * pl->C, a = pl->g.a, taps = (a - 1) * (a - 1);
    T *parts = scratch, *thr = parts + pl->nch * pl->part;
#pragma omp parallel num_threads((int)pl->nt) if (pl->nt > 1)
    {
        const int64_t tid = fc_thread_num(), nthr = fc_num_threads();
        FC_T(wino_bufs) bf;
        FC_T(wino_thread_scratch)(p, &pl->g, pl->tb, pl->work_n, thr + tid * pl->per_thread,
                                  &bf);
#pragma omp for schedule(dynamic, 1)
        for (int64_t ch = 0; ch < pl->nch; ch++)
            FC_T(wino_wgrad_chunk)(isa, p, pl, ch, x, dy, parts, &bf);
        int64_t lo, hi;
        fc_split(pl->g.nxi * KC, tid, nthr, &lo, &hi);
        for (int64_t ch = 1; ch < pl->nch; ch++) {
            const T *src = parts + ch * pl->part;
            for (int64_t e = lo; e < hi; e++)
                parts[e] = parts[e] + src[e];
        }
#pragma omp barrier
        fc_split(KC, tid, nthr, &lo, &hi);
        for (int64_t e = lo; e < hi; e++)
            FC_T(wino_weight_grad_of)(a, parts + e, KC, dw + e * taps);
    }
}

int FC_T(fc_conv2d_wgrad_winograd)(fc_isa isa, const fc_conv2d_params *p, const T *x,
                                   const T *dy, T *dw, int nthreads)
{
    FC_T(wino_plan) pl;
    FC_T(plan_wino_wgrad)(isa, p, nthreads, &pl);
    T *scratch = (T *)fc_scratch_get(FC_T(wino_wgrad_scratch)(&pl) * (int64_t)sizeof(T));
    if (!scratch)
        return FC_ENOMEM;
    FC_T(run_wino_wgrad)(isa, p, &pl, x, dy, dw, scratch);
    fc_scratch_put(scratch);
    return FC_OK;
}
