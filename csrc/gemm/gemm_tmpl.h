/*
 * gemm/gemm_tmpl.h - GEMM driver, packing and the portable micro-kernel for one element
 * type (a template: see core/tmpl.h), instantiated by gemm.c.
 */

/* ------------------------------------------------------------------ portable kernel */

/* Scalar epilogue of one element: the same operations, in the same order, as the
 * vector epilogues of every micro-kernel, so edge tiles match full tiles bit for bit. */
static inline T FC_T(epi_one)(T t, const T *c, const EPI *e, int64_t row)
{
    if (e->alpha != (T)1)
        t = e->alpha * t;
    if (e->beta != (T)0)
        t = (e->beta == (T)1) ? t + *c : t + e->beta * *c;
    if (e->bias)
        t = t + e->bias[row];
    if (e->relu)
        t = ((T)0 > t) ? (T)0 : t; /* like vmaxps(0, t): NaN and -0.0 pass through */
    return t;
}

#define GEN_MR 4
#define GEN_NR 8

/* Portable GEN_MR x GEN_NR micro-kernel in plain C (the compiler may vectorise it). */
static void FC_T(ukernel_generic)(int64_t k, const T *a, const T *b, const int64_t *boff,
                                  int64_t bs, T *c, int64_t ldc, const EPI *e)
{
    T acc[GEN_MR][GEN_NR];
    for (int i = 0; i < GEN_MR; i++)
        for (int j = 0; j < GEN_NR; j++)
            acc[i][j] = 0;
    for (int64_t p = 0; p < k; p++) {
        for (int i = 0; i < GEN_MR; i++) {
            T ai = a[p * GEN_MR + i];
            for (int j = 0; j < GEN_NR; j++)
                acc[i][j] = acc[i][j] + ai * b[(boff ? boff[p] : p * bs) + j];
        }
    }
    for (int i = 0; i < GEN_MR; i++)
        for (int j = 0; j < GEN_NR; j++)
            c[i * ldc + j] = FC_T(epi_one)(acc[i][j], &c[i * ldc + j], e, i);
}

static const GKR FC_T(kernel_generic) = {
    "generic " FC_STR(GEN_MR) "x" FC_STR(GEN_NR), GEN_MR, GEN_NR,
    128, 256, 2048, FC_T(ukernel_generic)};

#undef GEN_MR
#undef GEN_NR

const GKR *FC_T(fc_gemm_select)(fc_isa isa, int64_t m)
{
    switch (isa) {
    case FC_ISA_AVX512: {
        /* fewest padded rows, weighing the taller tiles' better register reuse */
        static const double eff[FC_AVX512_VARIANTS] = {1.04, 1.0, 0.96, 0.92};
        const GKR *ks = FC_T(fc_gemm_kernels_avx512);
        int best = 0;
        double best_cost = 0;
        for (int v = 0; v < FC_AVX512_VARIANTS; v++) {
            double cost = (double)fc_round_up(m > 0 ? m : 1, ks[v].mr) / eff[v];
            if (v == 0 || cost < best_cost) {
                best = v;
                best_cost = cost;
            }
        }
        return &ks[best];
    }
    case FC_ISA_AVX2:
        return &FC_T(fc_gemm_kernel_avx2);
    default:
        return &FC_T(kernel_generic);
    }
}

/* ------------------------------------------------------------------ packing */

void FC_T(fc_pack_a_strided)(const OPD *op, int64_t x0, int64_t xn,
                             int64_t k0, int64_t kn, int64_t r, T *dst)
{
    const int64_t rs = op->rs, cs = op->cs;
    for (int64_t i0 = 0; i0 < xn; i0 += r, dst += r * kn) {
        const int64_t mr = fc_min64(r, xn - i0);
        const T *src = op->ptr + (x0 + i0) * rs + k0 * cs;
        if (cs == 1 && mr == r) { /* rows contiguous: r streams, contiguous writes */
            for (int64_t p = 0; p < kn; p++)
                for (int64_t i = 0; i < r; i++)
                    dst[p * r + i] = src[i * rs + p];
        } else if (cs == 1) {
            for (int64_t i = 0; i < mr; i++)
                for (int64_t p = 0; p < kn; p++)
                    dst[p * r + i] = src[i * rs + p];
        } else {
            for (int64_t p = 0; p < kn; p++)
                for (int64_t i = 0; i < mr; i++)
                    dst[p * r + i] = src[i * rs + p * cs];
        }
        if (mr < r)
            for (int64_t p = 0; p < kn; p++)
                for (int64_t i = mr; i < r; i++)
                    dst[p * r + i] = 0;
    }
}

void FC_T(fc_pack_b_strided)(const OPD *op, int64_t x0, int64_t xn,
                             int64_t k0, int64_t kn, int64_t r, T *dst)
{
    const int64_t rs = op->rs, cs = op->cs;
    if (cs == 1) {
        /* rows outer: each source row is read front to back once (one prefetchable
         * stream), rather than r columns of every row per panel (kn streams at once,
         * which the hardware prefetchers cannot follow when B comes from memory) */
        const int64_t full = xn / r, tail = xn - full * r;
        for (int64_t p = 0; p < kn; p++) {
            const T *src = op->ptr + (k0 + p) * rs + x0;
            T *d = dst + p * r;
            for (int64_t q = 0; q < full; q++, src += r, d += r * kn)
                for (int64_t j = 0; j < r; j++)
                    d[j] = src[j];
            if (tail) {
                for (int64_t j = 0; j < tail; j++)
                    d[j] = src[j];
                for (int64_t j = tail; j < r; j++)
                    d[j] = 0;
            }
        }
        return;
    }
    for (int64_t j0 = 0; j0 < xn; j0 += r, dst += r * kn) {
        const int64_t nr = fc_min64(r, xn - j0);
        const T *src = op->ptr + k0 * rs + (x0 + j0) * cs;
        if (cs == 1) {
            for (int64_t p = 0; p < kn; p++) {
                for (int64_t j = 0; j < nr; j++)
                    dst[p * r + j] = src[p * rs + j];
                for (int64_t j = nr; j < r; j++)
                    dst[p * r + j] = 0;
            }
        } else if (rs == 1) {
            /* transposed B (linear layers: y = x @ W^T): its nr rows, contiguous along k,
             * become the panel's columns; transposed in 8x8/4x4 register blocks (a pure
             * copy) instead of one scalar store per value, each to another cache line */
            int64_t off[FC_NR_MAX];
            for (int64_t j = 0; j < nr; j++)
                off[j] = j * cs;
            FC_T(transpose_rows)(src, off, nr, kn, dst, r);
        } else { /* transposed B: read along its rows (the j direction is strided) */
            for (int64_t j = 0; j < nr; j++)
                for (int64_t p = 0; p < kn; p++)
                    dst[p * r + j] = src[j * cs + p * rs];
            if (nr < r)
                for (int64_t p = 0; p < kn; p++)
                    for (int64_t j = nr; j < r; j++)
                        dst[p * r + j] = 0;
        }
    }
}

/* Depth block: k split into ceil(k/KC) equal blocks (no short last block whose C update
 * would cost as much as its products). Depends on k only, so results never change. */
static inline int64_t FC_T(kc_block)(const GKR *kr, int64_t k)
{
    return fc_ceil_div(k, fc_ceil_div(k, kr->kc));
}

int64_t FC_T(fc_gemm_packed_a_size)(const GKR *kr, int64_t m, int64_t k)
{
    return fc_round_up(m, kr->mr) * k;
}

void FC_T(fc_gemm_prepack_a_rows)(const GKR *kr, int64_t m, int64_t k, int64_t i0,
                                  int64_t mn, const OPD *a, T *dst)
{
    const int64_t mpad = fc_round_up(m, kr->mr);
    const int64_t kcb = FC_T(kc_block)(kr, k);
    for (int64_t pc = 0; pc < k; pc += kcb) {
        const int64_t kc = fc_min64(kcb, k - pc);
        a->pack(a, i0, mn, pc, kc, kr->mr, dst + pc * mpad + i0 * kc);
    }
}

void FC_T(fc_gemm_prepack_a)(const GKR *kr, int64_t m, int64_t k,
                             const OPD *a, T *dst)
{
    FC_T(fc_gemm_prepack_a_rows)(kr, m, k, 0, m, a, dst);
}

int64_t FC_T(fc_gemm_work_size)(const GKR *kr, int64_t n)
{
    const int64_t nb = fc_min64(kr->nc, fc_round_up(n, kr->nr));
    return fc_pad_elems(kr->mc * kr->kc, sizeof(T)) + fc_pad_elems(kr->kc * nb, sizeof(T));
}

/* ------------------------------------------------------------------ serial driver */

/* The macro-kernel: all MR x NR tiles of one (mc x kc) A block times one kc x nc B block,
 * whose row p of column panel jr/NR starts at b + jr*bstep + boff[p] (boff NULL:
 * + p*bs). */
static void FC_T(macro_kernel)(const GKR *kr, int64_t mc, int64_t nc, int64_t kc,
                               const T *ap, const T *b, int64_t bstep, const int64_t *boff,
                               int64_t bs, T *c, int64_t ldc, const EPI *e)
{
    const int64_t MR = kr->mr, NR = kr->nr;
    T tmp[FC_MR_MAX * FC_NR_MAX] __attribute__((aligned(FC_ALIGN)));
    const EPI plain = {(T)1, (T)0, NULL, 0};
    for (int64_t jr = 0; jr < nc; jr += NR) {
        const int64_t nr = fc_min64(NR, nc - jr);
        const T *bpan = b + jr * bstep;
        for (int64_t ir = 0; ir < mc; ir += MR) {
            const int64_t mr = fc_min64(MR, mc - ir);
            const T *apan = ap + ir * kc;
            T *ct = c + ir * ldc + jr;
            EPI et = *e;
            if (e->bias)
                et.bias = e->bias + ir;
            if (mr == MR && nr == NR) {
                kr->ukernel(kc, apan, bpan, boff, bs, ct, ldc, &et);
            } else {
                kr->ukernel(kc, apan, bpan, boff, bs, tmp, NR, &plain);
                for (int64_t i = 0; i < mr; i++)
                    for (int64_t j = 0; j < nr; j++)
                        ct[i * ldc + j] = FC_T(epi_one)(tmp[i * NR + j], &ct[i * ldc + j],
                                                        &et, i);
            }
        }
    }
}

void FC_T(fc_gemm_serial)(const GKR *kr, int64_t m, int64_t n, int64_t k,
                          T alpha, const OPD *a, const OPD *b,
                        T beta, T *c, int64_t ldc, const T *bias, int relu, T *work)
{
    if (m <= 0 || n <= 0)
        return;
    if (k <= 0) { /* no products: C = beta*C (+ bias, relu) */
        const EPI e = {(T)1, beta, bias, relu};
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++)
                c[i * ldc + j] = FC_T(epi_one)((T)0, &c[i * ldc + j], &e, i);
        return;
    }
    const int64_t MC = kr->mc, KC = kr->kc, NC = kr->nc, kcb = FC_T(kc_block)(kr, k);
    const int64_t mpad = fc_round_up(m, kr->mr);
    T *apack = work;
    T *bpack = work + fc_pad_elems(MC * KC, sizeof(T));
    int64_t boff[FC_KC_MAX];
    for (int64_t jc = 0; jc < n; jc += NC) {
        const int64_t nc = fc_min64(NC, n - jc);
        for (int64_t pc = 0; pc < k; pc += kcb) {
            const int64_t kc = fc_min64(kcb, k - pc);
            const int last = (pc + kc == k);
            const T *bb;
            const int64_t *bo = NULL; /* row offsets, or NULL: rows bs apart */
            int64_t bstep, bs = kr->nr;
            if (b->rows) { /* B read in place */
                bb = b->rows(b, jc, pc, kc, boff);
                bstep = 1;
                bs = kc > 1 ? boff[1] - boff[0] : 0;
                int64_t p = 2;
                while (p < kc && boff[p] - boff[p - 1] == bs)
                    p++;
                if (p >= kc) /* evenly spaced rows (Winograd's transformed planes) */
                    bb += boff[0];
                else
                    bo = boff;
            } else { /* packed panels: rows NR apart */
                b->pack(b, jc, nc, pc, kc, kr->nr, bpack);
                bb = bpack;
                bstep = kc;
            }
            EPI e = {alpha, pc == 0 ? beta : (T)1, last ? bias : NULL, last ? relu : 0};
            for (int64_t ic = 0; ic < m; ic += MC) {
                const int64_t mc = fc_min64(MC, m - ic);
                const T *ap;
                if (a->packed) {
                    ap = a->packed + pc * mpad + ic * kc;
                } else {
                    a->pack(a, ic, mc, pc, kc, kr->mr, apack);
                    ap = apack;
                }
                EPI ei = e;
                if (e.bias)
                    ei.bias = e.bias + ic;
                FC_T(macro_kernel)(kr, mc, nc, kc, ap, bb, bstep, bo, bs, c + ic * ldc + jc,
                                   ldc, &ei);
            }
        }
    }
}

/* ------------------------------------------------------------------ public entry */

/* Below this many multiply-adds a GEMM runs on one thread (waking threads costs more). */
#define FC_GEMM_PARALLEL_MIN ((int64_t)1 << 18)

/* What plan_gemm decides: C split into a tm x tn grid of MR/NR-aligned blocks, one per
 * worker; k is never split, so each element's reduction is the same for any thread
 * count. */
typedef struct {
    const GKR *kr;
    int64_t tiles_m, tiles_n, tm, tn, nw; /* micro-tiles, grid, workers */
    int64_t work_n;                       /* one worker's scratch */
} FC_T(gemm_plan);

static void FC_T(plan_gemm)(fc_isa isa, int64_t m, int64_t n, int64_t k, int nthreads,
                            FC_T(gemm_plan) *pl)
{
    const GKR *kr = FC_T(fc_gemm_select)(isa, m);
    pl->kr = kr;
    pl->tiles_m = fc_ceil_div(m, kr->mr);
    pl->tiles_n = fc_ceil_div(n, kr->nr);
    int64_t nt = nthreads < 1 ? 1 : nthreads;
    if (m * n * (k > 0 ? k : 1) < FC_GEMM_PARALLEL_MIN)
        nt = 1;
    pl->tn = fc_min64(nt, pl->tiles_n);
    pl->tm = fc_max64(1, fc_min64(nt / pl->tn, pl->tiles_m));
    pl->nw = pl->tm * pl->tn;
    pl->work_n = FC_T(fc_gemm_work_size)(kr, fc_ceil_div(pl->tiles_n, pl->tn) * kr->nr);
}

/* The OpenMP region: each worker computes its block of C serially. */
static void FC_T(run_gemm)(const FC_T(gemm_plan) *pl, int trans_a, int trans_b, int64_t m,
                           int64_t n, int64_t k, T alpha, const T *a, int64_t lda,
                           const T *b, int64_t ldb, T beta, T *c, int64_t ldc, T *work)
{
    const GKR *kr = pl->kr;
    const int64_t tm = pl->tm, tn = pl->tn;
#pragma omp parallel num_threads((int)pl->nw) if (pl->nw > 1)
    {
        const int64_t nthr = fc_num_threads();
        for (int64_t w = fc_thread_num(); w < pl->nw; w += nthr) {
            int64_t tlo, thi, ulo, uhi;
            fc_split(pl->tiles_m, w / tn, tm, &tlo, &thi);
            fc_split(pl->tiles_n, w % tn, tn, &ulo, &uhi);
            const int64_t i0 = tlo * kr->mr, i1 = fc_min64(thi * kr->mr, m);
            const int64_t j0 = ulo * kr->nr, j1 = fc_min64(uhi * kr->nr, n);
            if (i1 <= i0 || j1 <= j0)
                continue;
            OPD A = {.pack = FC_T(fc_pack_a_strided), .ptr = a + (trans_a ? i0 : i0 * lda),
                     .rs = trans_a ? 1 : lda, .cs = trans_a ? lda : 1};
            OPD B = {.pack = FC_T(fc_pack_b_strided), .ptr = b + (trans_b ? j0 * ldb : j0),
                     .rs = trans_b ? 1 : ldb, .cs = trans_b ? ldb : 1};
            FC_T(fc_gemm_serial)(kr, i1 - i0, j1 - j0, k, alpha, &A, &B, beta,
                                 c + i0 * ldc + j0, ldc, NULL, 0, work + w * pl->work_n);
        }
    }
}

int FC_T(fc_gemm)(fc_isa isa, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                  T alpha, const T *a, int64_t lda, const T *b, int64_t ldb, T beta, T *c,
                  int64_t ldc, int nthreads)
{
    if (m <= 0 || n <= 0)
        return FC_OK;
    FC_T(gemm_plan) pl;
    FC_T(plan_gemm)(isa, m, n, k, nthreads, &pl);
    T *work = (T *)fc_scratch_get(pl.nw * pl.work_n * (int64_t)sizeof(T));
    if (!work)
        return FC_ENOMEM;
    FC_T(run_gemm)(&pl, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                   work);
    fc_scratch_put(work);
    return FC_OK;
}
