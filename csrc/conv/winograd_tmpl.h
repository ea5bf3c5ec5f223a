/*
 * winograd_tmpl.h - F(2x2, 3x3) kernels for one element type (see winograd.c).
 * Included by winograd.c once per type with T (float/double) and SFX (f32/f64) defined.
 *
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]    (input:  V = B^T d B)
 *   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]   (weight: U = G g G^T)
 *   A^T = [1 1 1 0; 0 1 -1 -1]                        (output: Y = A^T M A)
 * Index xi = 4*i + j of a 4x4 transformed tile: i its row, j its column.
 */
#define N_(name) FC_NAME(name, SFX)
#define GKR N_(fc_gemm_kernel)
#define OPD N_(fc_operand)

/* ------------------------------------------------------------------ transforms */

/* Elements between channels of a block's V (and M): 16 rows of tb, plus one cache line,
 * so that the GEMM's B rows (one per channel) and C rows do not all fall in the same
 * cache set when 16*tb*sizeof(T) is a multiple of 4 KiB. */
static inline int64_t N_(wino_cstride)(int64_t tb)
{
    return 16 * tb + FC_ALIGN / (int64_t)sizeof(T);
}

/* e[s] = src[2s - pw] and o[s] = src[2s + 1 - pw] for s < wq, 0 where the column falls
 * outside [0, w): one input row split into its even and odd (padded) columns. */
FC_WINO_BODY void N_(wino_deinterleave_body)(const T *restrict src, int64_t w, int64_t pw,
                                             int64_t wq, T *restrict e, T *restrict o)
{
    /* s in [lo, hi): both columns inside */
    const int64_t lo = fc_min64((pw + 1) / 2, wq);
    const int64_t hi = fc_max64(lo, fc_min64(wq, (w + pw) / 2));
/* one column pair at an edge, bounds-checked */
#define FC_WINO_EDGE(s)                                                                      \
    do {                                                                                     \
        const int64_t ce = 2 * (s) - pw, co = ce + 1;                                        \
        e[s] = ce >= 0 && ce < w ? src[ce] : (T)0;                                           \
        o[s] = co >= 0 && co < w ? src[co] : (T)0;                                           \
    } while (0)
    for (int64_t s = 0; s < lo; s++)
        FC_WINO_EDGE(s);
    for (int64_t s = hi; s < wq; s++)
        FC_WINO_EDGE(s);
#undef FC_WINO_EDGE
    FC_NO_ALIAS
    for (int64_t s = lo; s < hi; s++) {
        e[s] = src[2 * s - pw];
        o[s] = src[2 * s + 1 - pw];
    }
}

/*
 * V = B^T d B for `len` consecutive tiles of one channel, from deinterleaved rows: row i
 * of tile l reads b[i*rs + l] (even column), b[i*rs + ps + l] (odd), then the next even
 * and odd. Element xi of tile l goes to v[xi*vs + l].
 */
FC_WINO_BODY void N_(wino_input_run_body)(const T *restrict b, int64_t rs, int64_t ps,
                                          int64_t len, T *restrict v, int64_t vs)
{
    const T *restrict b0 = b, *restrict b1 = b + rs, *restrict b2 = b + 2 * rs;
    const T *restrict b3 = b + 3 * rs;
/* row r of the tile times B: (d0 - d2, d1 + d2, d2 - d1, d1 - d3) */
#define FC_WINO_ROW(r, a0, a1, a2, a3)                                                       \
    const T a0 = r[l] - r[l + 1], a1 = r[ps + l] + r[l + 1], a2 = r[l + 1] - r[ps + l],      \
            a3 = r[ps + l] - r[ps + l + 1]
    FC_NO_ALIAS
    for (int64_t l = 0; l < len; l++) {
        FC_WINO_ROW(b0, a00, a01, a02, a03);
        FC_WINO_ROW(b1, a10, a11, a12, a13);
        FC_WINO_ROW(b2, a20, a21, a22, a23);
        FC_WINO_ROW(b3, a30, a31, a32, a33);
        v[0 * vs + l] = a00 - a20;
        v[1 * vs + l] = a01 - a21;
        v[2 * vs + l] = a02 - a22;
        v[3 * vs + l] = a03 - a23;
        v[4 * vs + l] = a10 + a20;
        v[5 * vs + l] = a11 + a21;
        v[6 * vs + l] = a12 + a22;
        v[7 * vs + l] = a13 + a23;
        v[8 * vs + l] = a20 - a10;
        v[9 * vs + l] = a21 - a11;
        v[10 * vs + l] = a22 - a12;
        v[11 * vs + l] = a23 - a13;
        v[12 * vs + l] = a10 - a30;
        v[13 * vs + l] = a11 - a31;
        v[14 * vs + l] = a12 - a32;
        v[15 * vs + l] = a13 - a33;
    }
#undef FC_WINO_ROW
}

/*
 * Y = A^T M A (+ bias, ReLU) for `len` tiles of one output channel: element xi of tile
 * l is m[xi*ms + l]; outputs go to two rows r0, r1 (columns 2l, 2l + 1).
 */
FC_WINO_BODY void N_(wino_output_run_body)(const T *restrict m, int64_t ms, int64_t len,
                                           T bias, int relu, T *restrict r0,
                                           T *restrict r1)
{
    FC_NO_ALIAS
    for (int64_t l = 0; l < len; l++) {
        T s0[4], s1[4];
        for (int j = 0; j < 4; j++) {
            s0[j] = m[j * ms + l] + m[(4 + j) * ms + l] + m[(8 + j) * ms + l];
            s1[j] = m[(4 + j) * ms + l] - m[(8 + j) * ms + l] - m[(12 + j) * ms + l];
        }
        T y00 = s0[0] + s0[1] + s0[2] + bias, y01 = s0[1] - s0[2] - s0[3] + bias;
        T y10 = s1[0] + s1[1] + s1[2] + bias, y11 = s1[1] - s1[2] - s1[3] + bias;
        if (relu) { /* max(0, y); NaN passes through, as in the GEMM store */
            y00 = y00 < 0 ? (T)0 : y00;
            y01 = y01 < 0 ? (T)0 : y01;
            y10 = y10 < 0 ? (T)0 : y10;
            y11 = y11 < 0 ? (T)0 : y11;
        }
        r0[2 * l] = y00;
        r0[2 * l + 1] = y01;
        r1[2 * l] = y10;
        r1[2 * l + 1] = y11;
    }
}

/* dM = A dY A^T for `len` tiles of one output channel: dY rows r0, r1 (columns 2l, 2l+1,
 * zero past the output's edge); element xi of tile l goes to dm[xi*ms + l]. */
FC_WINO_BODY void N_(wino_grad_output_run_body)(const T *restrict r0, const T *restrict r1,
                                                int64_t len, T *restrict dm, int64_t ms)
{
    FC_NO_ALIAS
    for (int64_t l = 0; l < len; l++) {
        const T y00 = r0[2 * l], y01 = r0[2 * l + 1], y10 = r1[2 * l], y11 = r1[2 * l + 1];
        const T q[4][2] = {{y00, y01}, {y00 + y10, y01 + y11}, {y00 - y10, y01 - y11},
                           {-y10, -y11}};
        for (int i = 0; i < 4; i++) {
            dm[(4 * i + 0) * ms + l] = q[i][0];
            dm[(4 * i + 1) * ms + l] = q[i][0] + q[i][1];
            dm[(4 * i + 2) * ms + l] = q[i][0] - q[i][1];
            dm[(4 * i + 3) * ms + l] = -q[i][1];
        }
    }
}

/* Each transform in three builds (FC_WINO_BUILDS); wino_wide() says whether a loop of
 * len tiles is long enough for the AVX-512 one (FC_WINO_PICK). */
FC_WINO_BUILDS(N_(wino_deinterleave_body), N_(wino_deinterleave),
               (const T *restrict src, int64_t w, int64_t pw, int64_t wq, T *restrict e,
                T *restrict o),
               (src, w, pw, wq, e, o))
FC_WINO_BUILDS(N_(wino_input_run_body), N_(wino_input_run),
               (const T *restrict b, int64_t rs, int64_t ps, int64_t len, T *restrict v,
                int64_t vs),
               (b, rs, ps, len, v, vs))
FC_WINO_BUILDS(N_(wino_output_run_body), N_(wino_output_run),
               (const T *restrict m, int64_t ms, int64_t len, T bias, int relu,
                T *restrict r0, T *restrict r1),
               (m, ms, len, bias, relu, r0, r1))
FC_WINO_BUILDS(N_(wino_grad_output_run_body), N_(wino_grad_output_run),
               (const T *restrict r0, const T *restrict r1, int64_t len, T *restrict dm,
                int64_t ms),
               (r0, r1, len, dm, ms))
static inline int N_(wino_wide)(int64_t len)
{
    return len >= 64 / (int64_t)sizeof(T);
}

/* U = G g G^T of `count` 3x3 kernels g (row-major, 9 apart); element xi of kernel e goes
 * to u[xi*us + e]. */
FC_WINO_BODY void N_(wino_weight_run_body)(const T *restrict g, int64_t count, T *restrict u,
                                          int64_t us)
{
    const T h = (T)0.5;
    FC_NO_ALIAS
    for (int64_t e = 0; e < count; e++) {
        const T *k = g + 9 * e;
        const T k0 = k[0], k1 = k[1], k2 = k[2], k3 = k[3], k4 = k[4], k5 = k[5];
        const T k6 = k[6], k7 = k[7], k8 = k[8];
        /* rows of G g */
        const T a00 = k0, a01 = k1, a02 = k2;
        const T a10 = (k0 + k3 + k6) * h, a11 = (k1 + k4 + k7) * h, a12 = (k2 + k5 + k8) * h;
        const T a20 = (k0 - k3 + k6) * h, a21 = (k1 - k4 + k7) * h, a22 = (k2 - k5 + k8) * h;
        const T a30 = k6, a31 = k7, a32 = k8;
/* row i of (G g) G^T */
#define FC_WINO_WROW(i, b0, b1, b2)                                                          \
    u[(4 * i + 0) * us + e] = b0;                                                          \
    u[(4 * i + 1) * us + e] = (b0 + b1 + b2) * h;                                          \
    u[(4 * i + 2) * us + e] = (b0 - b1 + b2) * h;                                          \
    u[(4 * i + 3) * us + e] = b2
        FC_WINO_WROW(0, a00, a01, a02);
        FC_WINO_WROW(1, a10, a11, a12);
        FC_WINO_WROW(2, a20, a21, a22);
        FC_WINO_WROW(3, a30, a31, a32);
#undef FC_WINO_WROW
    }
}
FC_WINO_BUILDS(N_(wino_weight_run_body), N_(wino_weight_run),
               (const T *restrict g, int64_t count, T *restrict u, int64_t us),
               (g, count, u, us))

/* dg = G^T dU G: the 3x3 weight gradient from dU (element xi at du[xi*us]). */
static void N_(wino_weight_grad)(const T *du, int64_t us, T *dg)
{
    const T h = (T)0.5;
    T r[3][4];
    for (int j = 0; j < 4; j++) {
        const T d0 = du[j * us], d1 = du[(4 + j) * us], d2 = du[(8 + j) * us];
        const T d3 = du[(12 + j) * us];
        r[0][j] = d0 + (d1 + d2) * h;
        r[1][j] = (d1 - d2) * h;
        r[2][j] = (d1 + d2) * h + d3;
    }
    for (int a = 0; a < 3; a++) {
        dg[3 * a + 0] = r[a][0] + (r[a][1] + r[a][2]) * h;
        dg[3 * a + 1] = (r[a][1] - r[a][2]) * h;
        dg[3 * a + 2] = (r[a][1] + r[a][2]) * h + r[a][3];
    }
}

/* Rows of the deinterleaved buffer of one image's share of a block (wino_input_block):
 * tiles of at most tb/tw + 2 tile rows, each reading 4 rows, 2 shared with the next. */
static int64_t N_(wino_qrows)(const fc_wino_geom *g, int64_t tb)
{
    return 2 * fc_min64(g->th, tb / g->tw + 2) + 2;
}

/*
 * V[C][16][tb] (channel stride wino_cstride) of tiles [t0, t0 + cnt) of x; columns
 * cnt..cols are zeroed (the GEMM reads whole micro-tiles). Element xi of a channel sits
 * tb values after xi - 1, so the 16 streams a transform writes fall in different cache
 * sets. For each image the block touches, the input rows its tiles read are first
 * deinterleaved, zero-padded, into q (per channel: rows of wq even then wq odd columns),
 * so that every tile row is one contiguous vectorised run.
 */
static void N_(wino_input_block)(fc_isa isa, const fc_conv2d_params *p, const fc_wino_geom *g,
                                 const T *x, int64_t t0, int64_t cnt, int64_t tb,
                                 int64_t cols, T *q, T *v)
{
    const int64_t C = p->c_in, cs = N_(wino_cstride)(tb), hw = p->h * p->w;
    const int64_t wq = g->tw + 1;
    for (int64_t t = t0; t < t0 + cnt;) {
        const int64_t img = t / g->tpi, tend = fc_min64(t0 + cnt, (img + 1) * g->tpi);
        const int64_t ty0 = (t % g->tpi) / g->tw, ty1 = ((tend - 1) % g->tpi) / g->tw;
        const int64_t nrows = 2 * (ty1 - ty0) + 4, plane = nrows * 2 * wq;
        for (int64_t c = 0; c < C; c++)
            for (int64_t rr = 0; rr < nrows; rr++) {
                const int64_t sy = 2 * ty0 + rr - p->pad_h;
                T *dst = q + c * plane + rr * 2 * wq;
                if (sy < 0 || sy >= p->h) {
                    memset(dst, 0, (size_t)(2 * wq) * sizeof(T));
                    continue;
                }
                FC_WINO_PICK(N_(wino_deinterleave), isa, N_(wino_wide)(wq))(
                    x + (img * C + c) * hw + sy * p->w, p->w, p->pad_w, wq, dst, dst + wq);
            }
        fc_wino_run r;
        while (t < tend) {
            t = fc_wino_next_run(p, g, t, t0, cnt, &r);
            const T *base = q + 2 * (r.ty - ty0) * 2 * wq + r.tx;
            void (*run)(const T *, int64_t, int64_t, int64_t, T *, int64_t) =
                FC_WINO_PICK(N_(wino_input_run), isa, N_(wino_wide)(r.len));
            for (int64_t c = 0; c < C; c++)
                run(base + c * plane, 2 * wq, wq, r.len, v + c * cs + r.off, tb);
        }
    }
    for (int64_t c = 0; cols > cnt && c < C; c++)
        for (int64_t xi = 0; xi < 16; xi++)
            memset(v + c * cs + xi * tb + cnt, 0, (size_t)(cols - cnt) * sizeof(T));
}

/* y of tiles [t0, t0 + cnt) from M[K][16][tb] (channel stride wino_cstride), + bias,
 * ReLU; `rows` (4*tb values) takes the runs whose outputs are clipped at an edge. */
static void N_(wino_output_block)(fc_isa isa, const fc_conv2d_params *p,
                                  const fc_wino_geom *g,
                                  const T *m, int64_t t0, int64_t cnt, int64_t tb,
                                  const T *bias, int relu, T *y, T *rows)
{
    const int64_t K = p->c_out, cs = N_(wino_cstride)(tb);
    fc_wino_run r;
    for (int64_t t = t0; t < t0 + cnt;) {
        t = fc_wino_next_run(p, g, t, t0, cnt, &r);
        for (int64_t k = 0; k < K; k++) {
            T *dst = y + ((r.img * K + k) * p->oh + r.oy) * p->ow + r.ox;
            FC_WINO_PICK(N_(wino_output_run), isa, N_(wino_wide)(r.len))(
                m + k * cs + r.off, tb, r.len, bias ? bias[k] : (T)0, relu,
                r.inside ? dst : rows, r.inside ? dst + p->ow : rows + 2 * tb);
            for (int64_t a = 0; !r.inside && a < r.nrow; a++)
                memcpy(dst + a * p->ow, rows + a * 2 * tb, (size_t)r.ncol * sizeof(T));
        }
    }
}

/* dM[K][16][tb] (channel stride wino_cstride) of tiles [t0, t0 + cnt) from dy; `rows`
 * (4*tb values) takes the runs that reach past an edge, zero-padded. */
static void N_(wino_grad_output_block)(fc_isa isa, const fc_conv2d_params *p,
                                       const fc_wino_geom *g,
                                       const T *dy, int64_t t0, int64_t cnt, int64_t tb,
                                       T *dm, T *rows)
{
    const int64_t K = p->c_out, cs = N_(wino_cstride)(tb);
    fc_wino_run r;
    for (int64_t t = t0; t < t0 + cnt;) {
        t = fc_wino_next_run(p, g, t, t0, cnt, &r);
        for (int64_t k = 0; k < K; k++) {
            const T *src = dy + ((r.img * K + k) * p->oh + r.oy) * p->ow + r.ox;
            for (int64_t a = 0; !r.inside && a < 2; a++) { /* zero past the edges */
                T *row = rows + a * 2 * tb;
                const int64_t n = a < r.nrow ? r.ncol : 0;
                memcpy(row, src + a * p->ow, (size_t)n * sizeof(T));
                memset(row + n, 0, (size_t)(2 * r.len - n) * sizeof(T));
            }
            FC_WINO_PICK(N_(wino_grad_output_run), isa, N_(wino_wide)(r.len))(
                r.inside ? src : rows, r.inside ? src + p->ow : rows + 2 * tb, r.len,
                dm + k * cs + r.off, tb);
        }
    }
}

/* GEMM B operand read in place from a row-major matrix (ptr, row stride rs). */
static const T *N_(wino_rows)(const OPD *op, int64_t x0, int64_t k0, int64_t kn,
                              int64_t *boff)
{
    for (int64_t q = 0; q < kn; q++)
        boff[q] = (k0 + q) * op->rs;
    return op->ptr + x0;
}

/* GEMM packer for the weight gradient's operands, both stored as rows (ptr, row stride
 * rs) along the tiles, the GEMM's depth: rows x0.. become the columns of r-wide panels
 * (A: dM, rows = output channels; B: V, rows = input channels). */
static void N_(wino_pack_rows)(const OPD *op, int64_t x0, int64_t xn, int64_t k0, int64_t kn,
                               int64_t r, T *dst)
{
    int64_t off[FC_NR_MAX > FC_MR_MAX ? FC_NR_MAX : FC_MR_MAX];
    for (int64_t i0 = 0; i0 < xn; i0 += r, dst += r * kn) {
        const int64_t lanes = fc_min64(r, xn - i0);
        for (int64_t l = 0; l < lanes; l++)
            off[l] = (x0 + i0 + l) * op->rs + k0;
        N_(transpose_rows)(op->ptr, off, lanes, kn, dst, r);
    }
}

/* One thread's scratch in a Winograd pass: V, M (or dM), GEMM work, clipped-run rows and
 * deinterleaved input rows, each cache-line aligned. */
typedef struct {
    T *v, *m, *work, *rows, *q;
} N_(wino_bufs);

/* Elements of one thread's scratch (work_n: the GEMM's); with base, carves it up. */
static int64_t N_(wino_thread_scratch)(const fc_conv2d_params *p, const fc_wino_geom *g,
                                       int64_t tb, int64_t work_n, T *base, N_(wino_bufs) *b)
{
    const int64_t cs = N_(wino_cstride)(tb);
    const int64_t n[5] = {fc_pad_elems(p->c_in * cs, sizeof(T)),
                          fc_pad_elems(p->c_out * cs, sizeof(T)), work_n,
                          fc_pad_elems(4 * tb, sizeof(T)),
                          fc_pad_elems(p->c_in * N_(wino_qrows)(g, tb) * 2 * (g->tw + 1),
                                       sizeof(T))};
    if (b) {
        b->v = base;
        b->m = b->v + n[0];
        b->work = b->m + n[1];
        b->rows = b->work + n[2];
        b->q = b->rows + n[3];
    }
    return n[0] + n[1] + n[2] + n[3] + n[4];
}

static int64_t N_(wino_threads)(const fc_conv2d_params *p, int nthreads, int64_t tasks)
{
    int64_t nt = nthreads < 1 ? 1 : nthreads;
    if (p->n * p->c_out * p->c_in * 9 * p->oh * p->ow < ((int64_t)1 << 17))
        nt = 1;
    return fc_max64(1, fc_min64(nt, tasks));
}

/* ------------------------------------------------------------------ forward */

int N_(fc_conv2d_forward_winograd)(fc_isa isa, const fc_conv2d_params *p, const T *x,
                                   const T *w, const T *bias, T *y, int relu, int nthreads)
{
    const fc_wino_geom g = fc_wino_geometry(p);
    const int64_t C = p->c_in, K = p->c_out;
    const GKR *kr = N_(fc_gemm_select)(isa, K);
    const int64_t tb = fc_wino_block(kr->nr, C, K, sizeof(T));
    const int64_t nblk = fc_ceil_div(g.tiles, tb);
    const int64_t nt = N_(wino_threads)(p, nthreads, nblk);

    const int64_t usz = fc_pad_elems(N_(fc_gemm_packed_a_size)(kr, K, C), sizeof(T));
    const int64_t uraw = fc_pad_elems(16 * K * C, sizeof(T));
    const int64_t cs = N_(wino_cstride)(tb), work_n = N_(fc_gemm_work_size)(kr, tb);
    const int64_t per_thread = N_(wino_thread_scratch)(p, &g, tb, work_n, NULL, NULL);
    T *scratch = (T *)fc_scratch_get((16 * usz + uraw + nt * per_thread) * (int64_t)sizeof(T));
    if (!scratch)
        return FC_ENOMEM;
    T *upack = scratch, *u = upack + 16 * usz, *thr = u + uraw;

#pragma omp parallel num_threads((int)nt) if (nt > 1)
    {
        const int64_t tid = fc_thread_num(), nthr = fc_num_threads();
        N_(wino_bufs) bf;
        N_(wino_thread_scratch)(p, &g, tb, work_n, thr + tid * per_thread, &bf);
        int64_t lo, hi;
        fc_split(K * C, tid, nthr, &lo, &hi);
        FC_WINO_PICK(N_(wino_weight_run), isa, 1)(w + lo * 9, hi - lo, u + lo, K * C); /* u[xi][k][c] */
#pragma omp barrier
        fc_split(16, tid, nthr, &lo, &hi);
        for (int64_t xi = lo; xi < hi; xi++) {
            OPD ua = {.pack = N_(fc_pack_a_strided), .ptr = u + xi * K * C, .rs = C, .cs = 1};
            N_(fc_gemm_prepack_a)(kr, K, C, &ua, upack + xi * usz);
        }
#pragma omp barrier
#pragma omp for schedule(dynamic, 1)
        for (int64_t b = 0; b < nblk; b++) {
            const int64_t t0 = b * tb, cnt = fc_min64(tb, g.tiles - t0);
            const int64_t cols = fc_round_up(cnt, kr->nr);
            N_(wino_input_block)(isa, p, &g, x, t0, cnt, tb, cols, bf.q, bf.v);
            for (int64_t xi = 0; xi < 16; xi++) {
                OPD A = {.packed = upack + xi * usz};
                OPD B = {.ptr = bf.v + xi * tb, .rs = cs, .rows = N_(wino_rows)};
                N_(fc_gemm_serial)(kr, K, cols, C, (T)1, &A, &B, (T)0, bf.m + xi * tb, cs,
                                   NULL, 0, bf.work);
            }
            N_(wino_output_block)(isa, p, &g, bf.m, t0, cnt, tb, bias, relu, y, bf.rows);
        }
    }
    fc_scratch_put(scratch);
    return FC_OK;
}

/* ------------------------------------------------------------------ weight gradient */

int N_(fc_conv2d_wgrad_winograd)(fc_isa isa, const fc_conv2d_params *p, const T *x,
                                 const T *dy, T *dw, int nthreads)
{
    const fc_wino_geom g = fc_wino_geometry(p);
    const int64_t C = p->c_in, K = p->c_out;
    const GKR *kr = N_(fc_gemm_select)(isa, K);
    const int64_t tb = fc_wino_block(kr->nr, C, K, sizeof(T));
    const int64_t nblk = fc_ceil_div(g.tiles, tb);
    const int64_t part = fc_pad_elems(16 * K * C, sizeof(T));
    const int64_t nch = fc_wino_chunks(nblk, part * (int64_t)sizeof(T));
    const int64_t nt = N_(wino_threads)(p, nthreads, nch);

    const int64_t cs = N_(wino_cstride)(tb), work_n = N_(fc_gemm_work_size)(kr, C);
    const int64_t per_thread = N_(wino_thread_scratch)(p, &g, tb, work_n, NULL, NULL);
    T *scratch = (T *)fc_scratch_get((nch * part + nt * per_thread) * (int64_t)sizeof(T));
    if (!scratch)
        return FC_ENOMEM;
    T *parts = scratch, *thr = parts + nch * part;

#pragma omp parallel num_threads((int)nt) if (nt > 1)
    {
        const int64_t tid = fc_thread_num(), nthr = fc_num_threads();
        N_(wino_bufs) bf;
        N_(wino_thread_scratch)(p, &g, tb, work_n, thr + tid * per_thread, &bf);
        /* chunk ch: dU partial over its blocks, each block's 16 GEMMs added in order */
#pragma omp for schedule(dynamic, 1)
        for (int64_t ch = 0; ch < nch; ch++) {
            int64_t b0, b1;
            fc_split(nblk, ch, nch, &b0, &b1);
            for (int64_t b = b0; b < b1; b++) {
                const int64_t t0 = b * tb, cnt = fc_min64(tb, g.tiles - t0);
                N_(wino_input_block)(isa, p, &g, x, t0, cnt, tb, cnt, bf.q, bf.v);
                N_(wino_grad_output_block)(isa, p, &g, dy, t0, cnt, tb, bf.m, bf.rows);
                for (int64_t xi = 0; xi < 16; xi++) {
                    OPD A = {.pack = N_(wino_pack_rows), .ptr = bf.m + xi * tb, .rs = cs};
                    OPD B = {.pack = N_(wino_pack_rows), .ptr = bf.v + xi * tb, .rs = cs};
                    N_(fc_gemm_serial)(kr, K, C, cnt, (T)1, &A, &B, b == b0 ? (T)0 : (T)1,
                                       parts + ch * part + xi * K * C, C, NULL, 0, bf.work);
                }
            }
        }
        /* dU = the chunks' partials summed in chunk order (into chunk 0's) */
        int64_t lo, hi;
        fc_split(16 * K * C, tid, nthr, &lo, &hi);
        for (int64_t ch = 1; ch < nch; ch++) {
            const T *src = parts + ch * part;
            for (int64_t e = lo; e < hi; e++)
                parts[e] = parts[e] + src[e];
        }
#pragma omp barrier
        /* dw[k][c] = G^T dU G */
        fc_split(K * C, tid, nthr, &lo, &hi);
        for (int64_t e = lo; e < hi; e++)
            N_(wino_weight_grad)(parts + e, K * C, dw + e * 9);
    }
    fc_scratch_put(scratch);
    return FC_OK;
}

#undef N_
#undef GKR
#undef OPD
