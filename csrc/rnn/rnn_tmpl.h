/*
 * rnn/rnn_tmpl.h - forward and backward of one recurrent layer direction over all time
 * steps, for one element type (a template: see core/tmpl.h), instantiated by rnn.c.
 * Semantics and workspace layout: fastconv/rnn.h.
 *
 * Forward: each thread runs the time loop on its own rows of the batch: per step one
 * GEMM of [x_t h] with [W_ih^T; W_hh^T] (read in place from a padded transposed copy),
 * then the gate kernel per row. GRU first gets the input projection of every step as one
 * GEMM (T*B rows, split between threads) and keeps it apart (its n gate needs W_in x
 * alone); its steps multiply h by W_hh^T only. Backward runs the loop in reverse on the
 * same rows, storing the pre-activation gradients of every step; each step's GEMM of
 * those with [W_hh W_ih] gives d(h_prev) and that step's dx together (GRU: W_hh only,
 * dx as one GEMM over all T*B rows at the end, since it reads other gradients). Then
 * dW_ih and dW_hh as GEMMs over all T*B rows, the gradients read in place, and the bias
 * gradients as column sums.
 *
 * Matrices read in place as GEMM's B (weights, gate gradients) have rows an odd number
 * of cache lines apart (rnn_b_stride): at a multiple of 1-4 KiB every row of a B panel
 * falls in the same few L1 sets.
 */
#define CELLS FC_T(rnn_cells)

/* B read in place from a row-major matrix with rows op->rs apart, each readable up to
 * a multiple of FC_NR_MAX columns (the micro-kernel reads whole panels). */
static const T *FC_T(rnn_rows)(const OPD *op, int64_t x0, int64_t k0, int64_t kn,
                               int64_t *boff)
{
    for (int64_t p = 0; p < kn; p++)
        boff[p] = p * op->rs;
    return op->ptr + k0 * op->rs + x0;
}

/* The GEMM micro-kernel for C with about m rows (the tile height never changes
 * results, so one kernel serves every thread's share). */
static inline const GKR *FC_T(rnn_kernel)(fc_isa isa, int64_t m)
{
    return FC_T(fc_gemm_select)(isa, m > 0 ? m : 1);
}

static inline int64_t FC_T(rnn_work)(const GKR *kr, int64_t n)
{
    return fc_pad_elems(FC_T(fc_gemm_work_size)(kr, n), sizeof(T));
}

/* C (m x n, row stride ldc) = A @ B + beta C on the calling thread. */
static inline void FC_T(rnn_gemm)(const GKR *kr, int64_t m, int64_t n, int64_t k,
                                  const OPD *a, const OPD *b, T beta, T *c, int64_t ldc,
                                  T *work)
{
    FC_T(fc_gemm_serial)(kr, m, n, k, (T)1, a, b, beta, c, ldc, NULL, 0, work);
}

/* Pack rows of a row-major A (rows op->rs apart) into MR-row panels with the register
 * transposes of gemm/transpose.h: the same values as fc_pack_a_strided, for the small
 * A of every step (states, gate gradients) whose packing would otherwise be scalar. */
static void FC_T(rnn_pack_rows)(const OPD *op, int64_t x0, int64_t xn, int64_t k0, int64_t kn,
                                int64_t r, T *dst)
{
    int64_t off[FC_MR_MAX];
    for (int64_t i0 = 0; i0 < xn; i0 += r, dst += r * kn) {
        const int64_t mr = fc_min64(r, xn - i0);
        for (int64_t i = 0; i < mr; i++)
            off[i] = (x0 + i0 + i) * op->rs + k0;
        FC_T(transpose_rows)(op->ptr, off, mr, kn, dst, r);
    }
}

static inline OPD FC_T(rnn_rows_a)(const T *ptr, int64_t rs)
{
    OPD op = {.pack = FC_T(rnn_pack_rows), .ptr = ptr, .rs = rs, .cs = 1};
    return op;
}

static inline OPD FC_T(rnn_strided_b)(const T *ptr, int64_t rs, int64_t cs)
{
    OPD op = {.pack = FC_T(fc_pack_b_strided), .ptr = ptr, .rs = rs, .cs = cs};
    return op;
}

static inline OPD FC_T(rnn_inplace_b)(const T *ptr, int64_t rs)
{
    OPD op = {.ptr = ptr, .rs = rs, .cs = 1, .rows = FC_T(rnn_rows)};
    return op;
}

/* Row stride of a matrix of `cols` columns read in place as GEMM's B: whole panels of
 * FC_NR_MAX columns readable, plus one cache line so that the stride is an odd number of
 * lines (a stride of a multiple of 1 or 2 KiB puts every row of a B panel in the same
 * few L1 sets, which then miss on every pass of the micro-kernel). */
static inline int64_t FC_T(rnn_b_stride)(int64_t cols)
{
    return fc_round_up(cols, FC_NR_MAX) + 64 / (int64_t)sizeof(T);
}

/* dst[t * ld + l] = src[l * ss + t] for l < n, t < len: n rows of src (ss apart) written
 * as n columns of dst (rows ld apart). A pure copy: 8x8 blocks in AVX registers for
 * float (gemm/transpose.h), else 16-column strips (one source cache line at a time). */
static void FC_T(rnn_transpose)(fc_isa isa, const T *src, int64_t ss, int64_t n, int64_t len,
                                T *dst, int64_t ld)
{
    int64_t l0 = 0;
#if FC_HAVE_AVX_TRANSPOSE && FC_T_IS_FLOAT
    if (len >= 8 && isa >= FC_ISA_AVX2) {
        for (; l0 + 8 <= n; l0 += 8) {
            const T *rows8[8];
            for (int q = 0; q < 8; q++)
                rows8[q] = src + (l0 + q) * ss;
            fc_transpose8_f32(rows8, len, dst + l0, ld);
        }
    }
#else
    (void)isa;
#endif
    for (int64_t t0 = 0; t0 < len; t0 += 16) {
        const int64_t t1 = fc_min64(t0 + 16, len);
        for (int64_t l = l0; l < n; l++)
            for (int64_t t = t0; t < t1; t++)
                dst[t * ld + l] = src[l * ss + t];
    }
}

/* Rows [lo, hi) of dst (cols x ld) = the transpose of src (rows x cols), each row
 * zero-padded from `rows` to ld columns: a weight matrix read in place as GEMM's B. */
static void FC_T(rnn_transpose_rows)(fc_isa isa, const T *src, int64_t rows, int64_t cols,
                                     int64_t ld, int64_t lo, int64_t hi, T *dst)
{
    if (hi <= lo)
        return;
    FC_T(rnn_transpose)(isa, src + lo, cols, rows, hi - lo, dst + lo * ld, ld);
    for (int64_t p = lo; p < hi; p++)
        for (int64_t c = rows; c < ld; c++)
            dst[p * ld + c] = (T)0;
}

/* Rows [lo, hi) of src (rows x cols) copied into dst with rows ld apart, zero-padded. */
static void FC_T(rnn_pad_rows)(const T *src, int64_t cols, int64_t ld, int64_t lo, int64_t hi,
                               T *dst)
{
    for (int64_t r = lo; r < hi; r++) {
        memcpy(dst + r * ld, src + r * cols, (size_t)cols * sizeof(T));
        for (int64_t c = cols; c < ld; c++)
            dst[r * ld + c] = (T)0;
    }
}

/* ------------------------------------------------------------------ forward */

typedef struct {
    fc_rnn_mode mode;
    int reverse;
    int64_t S, B, H, G, GH, GHp, WS;
    const int64_t *len;
    T *gates, *hs, *cs;   /* the workspace's parts (cs NULL unless LSTM) */
    const T *whhT, *bias; /* padded W_hh^T (not GRU: [W_ih^T; W_hh^T]); bias (GRU: b_ih
                           * then b_hh) */
    const T *x;           /* not GRU: the input, joined to each step's product */
    int64_t I;
    T *gh;                /* GRU: W_hh h of the step, B rows of GHp */
    T *y;
    int64_t ys;
    const GKR *kr;
    const CELLS *cells;
} FC_T(rnn_fwd_plan);

/* The A operand [x_t h] of a step's product (not GRU): rows of the step's input (I
 * apart) then of the state (H apart), from the block's first batch row. */
typedef struct {
    const T *x, *h;
    int64_t I, H;
} FC_T(rnn_step_xh);

static void FC_T(rnn_pack_step_xh)(const OPD *op, int64_t x0, int64_t xn, int64_t k0,
                                   int64_t kn, int64_t r, T *dst)
{
    const FC_T(rnn_step_xh) *c = (const FC_T(rnn_step_xh) *)op->ctx;
    const int64_t kx1 = fc_min64(k0 + kn, c->I), kh0 = fc_max64(k0, c->I);
    int64_t off[FC_MR_MAX];
    for (int64_t i0 = 0; i0 < xn; i0 += r, dst += r * kn) {
        const int64_t mr = fc_min64(r, xn - i0);
        if (kx1 > k0) { /* depth [k0, kx1): columns of x */
            for (int64_t i = 0; i < mr; i++)
                off[i] = (x0 + i0 + i) * c->I + k0;
            FC_T(transpose_rows)(c->x, off, mr, kx1 - k0, dst, r);
        }
        if (k0 + kn > kh0) { /* depth [kh0, k0 + kn): columns of h */
            for (int64_t i = 0; i < mr; i++)
                off[i] = (x0 + i0 + i) * c->H + (kh0 - c->I);
            FC_T(transpose_rows)(c->h, off, mr, k0 + kn - kh0, dst + (kh0 - k0) * r, r);
        }
    }
}

/* The time loop of forward on batch rows [b0, b1). */
static void FC_T(rnn_forward_rows)(const FC_T(rnn_fwd_plan) *P, int64_t b0, int64_t b1,
                                   T *work)
{
    const int64_t B = P->B, H = P->H, WS = P->WS, BH = B * H;
    const int lstm = P->mode == FC_RNN_LSTM, gru = P->mode == FC_RNN_GRU;
    const int relu = P->mode == FC_RNN_RELU;
    const OPD W = FC_T(rnn_inplace_b)(P->whhT, P->GHp);
    for (int64_t s = 0; s < P->S; s++) {
        const int64_t t = P->reverse ? P->S - 1 - s : s;
        const int64_t pb = P->reverse ? t + 1 : t, nb = P->reverse ? t : t + 1;
        const T *hp = P->hs + pb * BH;
        T *hq = P->hs + nb * BH;
        const int64_t e = rnn_active_end(P->len, t, b0, b1);
        if (e > b0 && gru) {
            const OPD A = FC_T(rnn_rows_a)(hp + b0 * H, H);
            FC_T(rnn_gemm)(P->kr, e - b0, P->GH, H, &A, &W, (T)0, P->gh + b0 * P->GHp, P->GHp,
                           work);
        } else if (e > b0) { /* gates = [x_t h] [W_ih^T; W_hh^T] */
            const FC_T(rnn_step_xh) c = {P->x + (t * B + b0) * P->I, hp + b0 * H, P->I, H};
            const OPD A = {.pack = FC_T(rnn_pack_step_xh), .ctx = &c};
            FC_T(rnn_gemm)(P->kr, e - b0, P->GH, P->I + H, &A, &W, (T)0,
                           P->gates + (t * B + b0) * WS, WS, work);
        }
        if (!gru) /* rows past their sequence's end: defined workspace values */
            for (int64_t b = e; b < b1; b++)
                memset(P->gates + (t * B + b) * WS, 0, (size_t)P->GH * sizeof(T));
        for (int64_t b = b0; b < b1; b++) {
            T *g = P->gates + (t * B + b) * WS;
            T *yr = P->y + (t * B + b) * P->ys;
            if (!P->len || t < P->len[b]) {
                if (lstm)
                    P->cells->lstm_fwd(H, g, P->bias, P->cs + pb * BH + b * H,
                                       P->cs + nb * BH + b * H, hq + b * H, yr);
                else if (gru)
                    P->cells->gru_fwd(H, g, P->gh + b * P->GHp, P->bias, P->bias + P->GH,
                                      hp + b * H, hq + b * H, yr);
                else
                    P->cells->act_fwd(H, relu, g, P->bias, hq + b * H, yr);
            } else { /* a padded step: the state carries over, the output is 0 */
                memcpy(hq + b * H, hp + b * H, (size_t)H * sizeof(T));
                if (lstm)
                    memcpy(P->cs + nb * BH + b * H, P->cs + pb * BH + b * H,
                           (size_t)H * sizeof(T));
                for (int64_t j = 0; j < H; j++)
                    yr[j] = (T)0;
            }
        }
    }
}

static int FC_T(rnn_forward)(fc_isa isa, fc_rnn_mode mode, int reverse, int64_t S,
                             int64_t B, int64_t I, int64_t H, const T *x, const T *w_ih,
                             const T *w_hh, const T *b_ih, const T *b_hh, const T *h0,
                             const T *c0, const int64_t *len, T *y, int64_t ys, T *hn,
                             T *cn, T *ws, int nthreads)
{
    if (S <= 0 || B <= 0 || H <= 0 || fc_rnn_gates(mode) == 0)
        return FC_OK; /* nothing the caller could ask for (it refuses such shapes) */
    FC_T(rnn_fwd_plan) P = {.mode = mode, .reverse = reverse, .S = S, .B = B, .H = H,
                          .len = len, .y = y, .ys = ys};
    P.G = fc_rnn_gates(mode);
    P.GH = P.G * H;
    P.GHp = FC_T(rnn_b_stride)(P.GH);
    P.WS = rnn_ws_cols(mode, H);
    const int64_t SB = S * B, BH = B * H, GH = P.GH;
    const int lstm = mode == FC_RNN_LSTM, gru = mode == FC_RNN_GRU;
    P.gates = ws;
    P.hs = ws + SB * P.WS;
    P.cs = lstm ? P.hs + (S + 1) * BH : NULL;
    const int64_t first = reverse ? S : 0, last = reverse ? 0 : S;

    int64_t nt = nthreads < 1 ? 1 : nthreads;
    if (SB * GH * (I + H) < RNN_PARALLEL_MIN)
        nt = 1;
    const int64_t nrec = fc_min64(nt, fc_ceil_div(B, RNN_MIN_ROWS));
    const GKR *kp = FC_T(rnn_kernel)(isa, fc_ceil_div(SB, nt));
    P.kr = FC_T(rnn_kernel)(isa, fc_ceil_div(B, nrec));
    const int64_t wsz = fc_max64(FC_T(rnn_work)(kp, GH), FC_T(rnn_work)(P.kr, GH));
    const int64_t n_w = fc_pad_elems((gru ? H : I + H) * P.GHp, sizeof(T));
    const int64_t n_b = fc_pad_elems(2 * GH, sizeof(T));
    const int64_t n_gh = gru ? fc_pad_elems(B * P.GHp, sizeof(T)) : 0;
    T *scratch = (T *)fc_scratch_get((n_w + n_b + n_gh + nt * wsz) * (int64_t)sizeof(T));
    if (!scratch)
        return FC_ENOMEM;
    T *whhT = scratch, *bias = scratch + n_w, *work = bias + n_b + n_gh;
    P.whhT = whhT;
    P.bias = bias;
    P.x = x;
    P.I = I;
    P.gh = gru ? bias + n_b : NULL;
    P.cells = FC_T(rnn_cells_get)(isa);
    for (int64_t c = 0; c < GH; c++) {
        const T bi = b_ih ? b_ih[c] : (T)0, bh = b_hh ? b_hh[c] : (T)0;
        if (gru) {
            bias[c] = bi;
            bias[GH + c] = bh;
        } else {
            bias[c] = bi + bh;
        }
    }
    memcpy(P.hs + first * BH, h0, (size_t)BH * sizeof(T));
    if (lstm)
        memcpy(P.cs + first * BH, c0, (size_t)BH * sizeof(T));

#pragma omp parallel num_threads((int)nt) if (nt > 1)
    {
        const int64_t tid = fc_thread_num(), nthr = fc_num_threads();
        T *wk = work + tid * wsz;
        int64_t lo, hi;
        /* W_hh^T padded to GHp columns; not GRU, under W_ih^T: each step's product takes
         * x_t too (no separate pass writing and rereading the T*B projections) */
        T *wh = gru ? whhT : whhT + I * P.GHp;
        fc_split(H, tid, nthr, &lo, &hi);
        FC_T(rnn_transpose_rows)(isa, w_hh, GH, H, P.GHp, lo, hi, wh);
        if (!gru) {
            fc_split(I, tid, nthr, &lo, &hi);
            FC_T(rnn_transpose_rows)(isa, w_ih, GH, I, P.GHp, lo, hi, whhT);
        }
#pragma omp barrier
        if (gru) { /* the input projection of every step, kept apart (the n gate) */
            fc_split(SB, tid, nthr, &lo, &hi);
            if (hi > lo) { /* W_ih^T packed by the GEMM (register transposes) */
                const OPD A = FC_T(rnn_rows_a)(x + lo * I, I);
                const OPD Wt = FC_T(rnn_strided_b)(w_ih, 1, I);
                FC_T(rnn_gemm)(kp, hi - lo, GH, I, &A, &Wt, (T)0, P.gates + lo * P.WS, P.WS,
                               wk);
            }
#pragma omp barrier
        }
        for (int64_t w = tid; w < nrec; w += nthr) {
            int64_t b0, b1;
            fc_split(B, w, nrec, &b0, &b1);
            FC_T(rnn_forward_rows)(&P, b0, b1, wk);
        }
    }
    fc_scratch_put(scratch);
    memcpy(hn, P.hs + last * BH, (size_t)BH * sizeof(T));
    if (lstm && cn)
        memcpy(cn, P.cs + last * BH, (size_t)BH * sizeof(T));
    return FC_OK;
}

/* ------------------------------------------------------------------ backward */

/* The A operand of the weight gradients, [X^T; Hs^T] or one of them: row i < xrows of
 * A is column i of x (p-th element x[p * xcols + i]), the next rows are h's columns. */
typedef struct {
    const T *x, *h;
    int64_t xcols, xrows, hcols;
} FC_T(rnn_xh);

static void FC_T(rnn_pack_xh)(const OPD *op, int64_t x0, int64_t xn, int64_t k0, int64_t kn,
                              int64_t r, T *dst)
{
    const FC_T(rnn_xh) *c = (const FC_T(rnn_xh) *)op->ctx;
    for (int64_t i0 = 0; i0 < xn; i0 += r, dst += r * kn) {
        const int64_t a = x0 + i0, mr = fc_min64(r, xn - i0);
        const int64_t nx = fc_max64(0, fc_min64(mr, c->xrows - a)); /* rows from x */
        /* each depth step: nx values from a row of x, mr - nx from a row of h (short
         * contiguous runs: memcpy's vector moves beat a loop set up for each) */
        const size_t bx = (size_t)nx * sizeof(T), bh = (size_t)(mr - nx) * sizeof(T);
        const T *xr = c->x + k0 * c->xcols + a;
        const T *hr = nx < mr ? c->h + k0 * c->hcols + (a + nx - c->xrows) : NULL;
        for (int64_t p = 0; p < kn; p++) {
            T *d = dst + p * r;
            if (bx)
                memcpy(d, xr + p * c->xcols, bx);
            if (bh)
                memcpy(d + nx, hr + p * c->hcols, bh);
            for (int64_t i = mr; i < r; i++)
                d[i] = (T)0;
        }
    }
}

/* One weight-gradient product: C (m x GH, the transposed gradients) = A dg, A prepacked. */
typedef struct {
    FC_T(rnn_xh) src;
    int64_t m;
    const GKR *kr;
    T *packed;
    const T *dg;  /* B: the gate gradients (T*B x GH) */
    T *c;         /* C rows */
} FC_T(rnn_wgrad);

typedef struct {
    fc_rnn_mode mode;
    int reverse;
    int64_t S, B, H, GH, GS, Hp, WS; /* GS: row stride of dgi, dgh (and dW^T) */
    const int64_t *len;
    const T *gates, *hs, *cs;
    const T *whh; /* W_hh padded to Hp columns; [W_hh W_ih] when dx is fused */
    const T *dy;
    int64_t dys;
    const T *zero; /* H zeros: dy of an output that has no gradient */
    T *dgi, *dgh;  /* per-step gradients of the two projections (dgh == dgi unless GRU) */
    T *dh, *dc;    /* carried d(h), d(c) per batch row */
    T *tmp;        /* GEMM result rows, TS apart (GRU: preset to the direct term) */
    int64_t TS, NC; /* NC: the step GEMM's columns, H or H + I (dx fused) */
    T *dx;          /* fused: dx rows written by the time loop (not GRU: dgh is dgi) */
    int64_t I;
    int dx_acc;
    const GKR *kr;
    const CELLS *cells;
} FC_T(rnn_bwd_plan);

/* The reversed time loop of backward on batch rows [b0, b1). */
static void FC_T(rnn_backward_rows)(const FC_T(rnn_bwd_plan) *P, int64_t b0, int64_t b1,
                                    T *work)
{
    const int64_t B = P->B, H = P->H, GH = P->GH, GS = P->GS, WS = P->WS, BH = B * H;
    const int lstm = P->mode == FC_RNN_LSTM, gru = P->mode == FC_RNN_GRU;
    const int relu = P->mode == FC_RNN_RELU;
    const OPD W = FC_T(rnn_inplace_b)(P->whh, P->Hp);
    for (int64_t s = 0; s < P->S; s++) {
        const int64_t t = P->reverse ? s : P->S - 1 - s;
        const int64_t pb = P->reverse ? t + 1 : t, nb = P->reverse ? t : t + 1;
        const int64_t e = rnn_active_end(P->len, t, b0, b1);
        for (int64_t b = b0; b < b1; b++) {
            const int64_t r = t * B + b;
            T *dg = P->dgi + r * GS;
            if (!P->len || t < P->len[b]) {
                const T *g = P->gates + r * WS;
                const T *dyr = P->dy ? P->dy + r * P->dys : P->zero;
                if (lstm)
                    P->cells->lstm_bwd(H, g, P->cs + pb * BH + b * H, P->cs + nb * BH + b * H,
                                       P->dh + b * H, dyr, P->dc + b * H, dg);
                else if (gru)
                    P->cells->gru_bwd(H, g, P->hs + pb * BH + b * H, P->dh + b * H, dyr, dg,
                                      P->dgh + r * GS, P->tmp + b * P->TS);
                else
                    P->cells->act_bwd(H, relu, g, P->dh + b * H, dyr, dg);
            } else { /* a padded step: nothing flows through it */
                for (int64_t c = 0; c < GH; c++)
                    dg[c] = (T)0;
                if (gru)
                    for (int64_t c = 0; c < GH; c++)
                        P->dgh[r * GS + c] = (T)0;
            }
        }
        /* d(h_prev) = dgh W_hh (+ the direct term); fused, dx of the step = dgi W_ih in
         * the same product (one packing of the step's gate gradients) */
        const int64_t TS = P->TS, I = P->I;
        T *dxs = P->dx ? P->dx + t * B * I : NULL;
        if (e > b0) {
            const int beta = gru || (dxs && P->dx_acc);
            if (beta && !gru)
                for (int64_t b = b0; b < e; b++)
                    memset(P->tmp + b * TS, 0, (size_t)H * sizeof(T));
            if (beta && dxs)
                for (int64_t b = b0; b < e; b++)
                    memcpy(P->tmp + b * TS + H, dxs + b * I, (size_t)I * sizeof(T));
            const OPD A = FC_T(rnn_rows_a)(P->dgh + (t * B + b0) * GS, GS);
            FC_T(rnn_gemm)(P->kr, e - b0, P->NC, GH, &A, &W, beta ? (T)1 : (T)0,
                           P->tmp + b0 * TS, TS, work);
            for (int64_t b = b0; b < e; b++) {
                if (!P->len || t < P->len[b])
                    memcpy(P->dh + b * H, P->tmp + b * TS, (size_t)H * sizeof(T));
                if (dxs)
                    memcpy(dxs + b * I, P->tmp + b * TS + H, (size_t)I * sizeof(T));
            }
        }
        if (dxs && !P->dx_acc) /* rows past their sequence's end: no gradient */
            for (int64_t b = e; b < b1; b++)
                memset(dxs + b * I, 0, (size_t)I * sizeof(T));
    }
}

/* Rows [lo, hi) of [a b] (a: ca columns, b: cb columns, both row-major) copied into dst
 * with rows ld apart, zero-padded. */
static void FC_T(rnn_pad_rows2)(const T *a, int64_t ca, const T *b, int64_t cb, int64_t ld,
                                int64_t lo, int64_t hi, T *dst)
{
    for (int64_t r = lo; r < hi; r++) {
        memcpy(dst + r * ld, a + r * ca, (size_t)ca * sizeof(T));
        if (cb)
            memcpy(dst + r * ld + ca, b + r * cb, (size_t)cb * sizeof(T));
        for (int64_t c = ca + cb; c < ld; c++)
            dst[r * ld + c] = (T)0;
    }
}

/* out[c] = sum over rows r of m[r*ld + c] for c in [lo, hi), rows in increasing order. */
static void FC_T(rnn_colsum)(const T *m, int64_t rows, int64_t ld, int64_t lo, int64_t hi,
                             T *out)
{
    for (int64_t c = lo; c < hi; c++)
        out[c] = (T)0;
    for (int64_t r = 0; r < rows; r++) {
        const T *row = m + r * ld;
        for (int64_t c = lo; c < hi; c++)
            out[c] = out[c] + row[c];
    }
}

/* Columns [lo, hi) of m (rows x ld) as rows of dst: dst[c * rows + r] = m[r * ld + c]. */
static void FC_T(rnn_transpose_cols)(fc_isa isa, const T *m, int64_t rows, int64_t ld,
                                     int64_t lo, int64_t hi, T *dst)
{
    if (hi > lo)
        FC_T(rnn_transpose)(isa, m + lo, ld, rows, hi - lo, dst + lo * rows, rows);
}

static int FC_T(rnn_backward)(fc_isa isa, fc_rnn_mode mode, int reverse, int64_t S,
                              int64_t B, int64_t I, int64_t H, const T *x, const T *w_ih,
                              const T *w_hh, const int64_t *len, const T *ws, const T *dy,
                              int64_t dys, const T *dhn, const T *dcn, T *dx, int dx_acc,
                              T *dw_ih, T *dw_hh, T *db_ih, T *db_hh, T *dh0, T *dc0,
                              int nthreads)
{
    if (S <= 0 || B <= 0 || H <= 0 || fc_rnn_gates(mode) == 0)
        return FC_OK; /* refused by the caller */
    const int lstm = mode == FC_RNN_LSTM, gru = mode == FC_RNN_GRU;
    FC_T(rnn_bwd_plan) P = {.mode = mode, .reverse = reverse, .S = S, .B = B, .H = H,
                          .len = len, .dy = dy, .dys = dys};
    P.GH = fc_rnn_gates(mode) * H;
    P.GS = FC_T(rnn_b_stride)(P.GH);
    const int fuse_dx = dx && !gru; /* GRU's dx reads dgi, its recurrence dgh */
    P.NC = H + (fuse_dx ? I : 0);
    P.Hp = FC_T(rnn_b_stride)(P.NC);
    P.TS = P.Hp;
    P.I = I;
    P.dx = fuse_dx ? dx : NULL;
    P.dx_acc = dx_acc;
    P.WS = rnn_ws_cols(mode, H);
    const int64_t SB = S * B, BH = B * H, GH = P.GH, GS = P.GS;
    P.gates = ws;
    P.hs = ws + SB * P.WS;
    P.cs = lstm ? P.hs + (S + 1) * BH : NULL;

    int64_t nt = nthreads < 1 ? 1 : nthreads;
    if (SB * GH * (I + H) < RNN_PARALLEL_MIN)
        nt = 1;
    const int64_t nrec = fc_min64(nt, fc_ceil_div(B, RNN_MIN_ROWS));
    P.kr = FC_T(rnn_kernel)(isa, fc_ceil_div(B, nrec));
    const GKR *kx = FC_T(rnn_kernel)(isa, fc_ceil_div(SB, nt));
    const int64_t Ip = FC_T(rnn_b_stride)(I);
    const T *hprev = P.hs + (reverse ? BH : 0); /* the state before each step */
    /* weight gradients: dW_ih^T = X^T dgi and dW_hh^T = Hs^T dgh, as one GEMM with A
     * stacked when dgh is dgi (GRU: two), A packed once for all threads */
    FC_T(rnn_wgrad) wg[2];
    int nwg = 0;
    const int want_w = dw_ih || dw_hh;
    if (want_w && !gru) {
        wg[nwg++] = (FC_T(rnn_wgrad)){{x, hprev, I, I, H}, I + H, NULL, NULL, NULL, NULL};
    } else if (want_w) {
        wg[nwg++] = (FC_T(rnn_wgrad)){{x, NULL, I, I, 0}, I, NULL, NULL, NULL, NULL};
        wg[nwg++] = (FC_T(rnn_wgrad)){{hprev, NULL, H, H, 0}, H, NULL, NULL, NULL, NULL};
    }
    const int64_t ncols = fc_ceil_div(GH, nt) + 1;
    int64_t wsz = fc_max64(FC_T(rnn_work)(P.kr, P.NC), FC_T(rnn_work)(kx, Ip));
    int64_t n_pk[2] = {0, 0};
    for (int i = 0; i < nwg; i++) {
        wg[i].kr = FC_T(rnn_kernel)(isa, wg[i].m);
        wsz = fc_max64(wsz, FC_T(rnn_work)(wg[i].kr, ncols));
        n_pk[i] = fc_pad_elems(FC_T(fc_gemm_packed_a_size)(wg[i].kr, wg[i].m, SB), sizeof(T));
    }
    const int64_t n_w = fc_pad_elems(GH * P.Hp, sizeof(T));
    const int64_t n_wi = (dx && !fuse_dx) ? fc_pad_elems(GH * Ip, sizeof(T)) : 0;
    /* the gate gradients, read in place as B by the weight gradients: whole panels
     * past a thread's last column, so FC_NR_MAX more elements after the last row */
    const int64_t n_g = fc_pad_elems(SB * GS + FC_NR_MAX, sizeof(T));
    const int64_t n_s = fc_pad_elems(BH, sizeof(T));
    const int64_t n_tmp = fc_pad_elems(B * P.TS, sizeof(T));
    const int64_t n_z = fc_pad_elems(H, sizeof(T));
    const int64_t n_t = want_w ? fc_pad_elems((I + H) * GS, sizeof(T)) : 0;
    const int64_t total = n_w + n_wi + n_g * (gru ? 2 : 1) + n_s * (lstm ? 2 : 1) + n_tmp + n_z +
                          n_t + n_pk[0] + n_pk[1] + nt * wsz;
    T *scratch = (T *)fc_scratch_get(total * (int64_t)sizeof(T));
    if (!scratch)
        return FC_ENOMEM;
    T *p = scratch;
    T *whp = p;
    p += n_w;
    T *wip = p; /* W_ih padded to Ip columns, read in place by the dx product */
    p += n_wi;
    P.whh = whp;
    P.dgi = p;
    p += n_g;
    P.dgh = gru ? p : P.dgi;
    p += gru ? n_g : 0;
    P.dh = p;
    p += n_s;
    P.tmp = p;
    p += n_tmp;
    P.dc = lstm ? p : NULL;
    p += lstm ? n_s : 0;
    T *zero = p;
    p += n_z;
    T *ct = p; /* dW_ih^T (I x GH) then dW_hh^T (H x GH), rows GS apart */
    p += n_t;
    for (int i = 0; i < nwg; i++) {
        wg[i].packed = p;
        wg[i].dg = (gru && i == 1) ? P.dgh : P.dgi;
        wg[i].c = ct + (i == 1 ? I * GS : 0);
        p += n_pk[i];
    }
    T *work = p;
    for (int64_t j = 0; j < H; j++)
        zero[j] = (T)0;
    P.zero = zero;
    for (int64_t i = 0; i < BH; i++)
        P.dh[i] = dhn ? dhn[i] : (T)0;
    for (int64_t i = 0; i < B * P.TS; i++)
        P.tmp[i] = (T)0;
    if (lstm)
        for (int64_t i = 0; i < BH; i++)
            P.dc[i] = dcn ? dcn[i] : (T)0;
    P.cells = FC_T(rnn_cells_get)(isa);

#pragma omp parallel num_threads((int)nt) if (nt > 1)
    {
        const int64_t tid = fc_thread_num(), nthr = fc_num_threads();
        T *wk = work + tid * wsz;
        int64_t lo, hi;
        fc_split(GH, tid, nthr, &lo, &hi); /* W_hh and W_ih padded to read in place */
        FC_T(rnn_pad_rows2)(w_hh, H, w_ih, fuse_dx ? I : 0, P.Hp, lo, hi, whp);
        if (dx && !fuse_dx)
            FC_T(rnn_pad_rows)(w_ih, I, Ip, lo, hi, wip);
        for (int i = 0; i < nwg; i++) { /* this thread's panels of the stacked A */
            const int64_t panels = fc_ceil_div(wg[i].m, wg[i].kr->mr);
            fc_split(panels, tid, nthr, &lo, &hi);
            const OPD A = {.pack = FC_T(rnn_pack_xh), .ctx = &wg[i].src};
            if (hi > lo)
                FC_T(fc_gemm_prepack_a_rows)(wg[i].kr, wg[i].m, SB, lo * wg[i].kr->mr,
                                             fc_min64(hi * wg[i].kr->mr, wg[i].m) -
                                             lo * wg[i].kr->mr,
                                             &A, wg[i].packed);
        }
#pragma omp barrier
        for (int64_t w = tid; w < nrec; w += nthr) {
            int64_t b0, b1;
            fc_split(B, w, nrec, &b0, &b1);
            FC_T(rnn_backward_rows)(&P, b0, b1, wk);
        }
#pragma omp barrier
        /* weight and bias gradients, split over the G*H gate columns: dW^T = A dg over
         * all T*B rows at once, then this thread's columns transposed into dW's rows */
        fc_split(GH, tid, nthr, &lo, &hi);
        if (hi > lo) {
            for (int i = 0; i < nwg; i++) {
                const OPD A = {.packed = wg[i].packed};
                const OPD D = FC_T(rnn_inplace_b)(wg[i].dg + lo, GS);
                FC_T(rnn_gemm)(wg[i].kr, wg[i].m, hi - lo, SB, &A, &D, (T)0, wg[i].c + lo, GS,
                               wk);
            }
            if (dw_ih)
                FC_T(rnn_transpose_cols)(isa, ct, I, GS, lo, hi, dw_ih);
            if (dw_hh)
                FC_T(rnn_transpose_cols)(isa, ct + (int64_t)I * GS, H, GS, lo, hi, dw_hh);
            if (db_ih)
                FC_T(rnn_colsum)(P.dgi, SB, GS, lo, hi, db_ih);
            if (db_hh && db_ih && !gru) /* the same gradient: b_ih and b_hh are one sum */
                memcpy(db_hh + lo, db_ih + lo, (size_t)(hi - lo) * sizeof(T));
            else if (db_hh)
                FC_T(rnn_colsum)(P.dgh, SB, GS, lo, hi, db_hh);
        }
        fc_split(SB, tid, nthr, &lo, &hi); /* GRU: dx = dgi W_ih, rows of T*B */
        if (dx && !fuse_dx && hi > lo) {
            const OPD A = FC_T(rnn_rows_a)(P.dgi + lo * GS, GS);
            const OPD Wi = FC_T(rnn_inplace_b)(wip, Ip);
            FC_T(rnn_gemm)(kx, hi - lo, I, GH, &A, &Wi, dx_acc ? (T)1 : (T)0, dx + lo * I, I,
                           wk);
        }
    }
    if (dh0)
        memcpy(dh0, P.dh, (size_t)BH * sizeof(T));
    if (lstm && dc0)
        memcpy(dc0, P.dc, (size_t)BH * sizeof(T));
    fc_scratch_put(scratch);
    return FC_OK;
}

#undef CELLS
