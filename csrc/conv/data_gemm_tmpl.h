/*
 * conv/data_gemm_tmpl.h - the data gradient on the GEMM engine, for one element type (a
 * template: see core/tmpl.h), after forward_gemm_tmpl.h:
 *   stride 1:  the forward convolution of dy with rotated, channel-swapped weights
 *              (Winograd or implicit GEMM: fc_conv2d_data_rotated)
 *   stride>1:  dcol[K, P] = W_g^T @ dy_g, then col2im scatter-add (fc_conv2d_data_col2im)
 * plan_col2im decides blocks, tasks, threads and scratch and lists the col2im runs
 * before the threads start; run_col2im is the OpenMP region.
 */

/* Pixels per col2im block; fixed (not thread dependent) since it orders the sums. */
#define FC_COL2IM_BLOCK 512

/* One col2im segment (a run of one tap along an output row): dcol row columns
 * [s, s + len) add into plane elements d + t*stride_w. */
typedef struct {
    int64_t s, d, len;
} FC_T(col2im_seg);

/* Most runs of one tap in a block of pb output pixels (one per output row it meets). */
static inline int64_t FC_T(col2im_max_runs)(const fc_conv2d_params *p, int64_t pb)
{
    return fc_min64(pb, pb / p->ow + 2);
}

/* The runs of tap (ky, kx) over output pixels [j0, j0 + jn): one per output row, clipped
 * to the pixels whose input lies inside the plane. Returns how many. */
static int64_t FC_T(col2im_runs)(const fc_conv2d_params *p, int64_t ky, int64_t kx,
                                 int64_t j0, int64_t jn, FC_T(col2im_seg) *runs)
{
    const int64_t sw = p->stride_w, ixb = kx * p->dil_w - p->pad_w;
    const int64_t iyb = ky * p->dil_h - p->pad_h;
    const int64_t oxa = ixb >= 0 ? 0 : fc_ceil_div(-ixb, sw);
    const int64_t oxe = fc_min64(p->ow, p->w - ixb > 0 ? fc_ceil_div(p->w - ixb, sw) : 0);
    int64_t n = 0, jl = 0, oy = j0 / p->ow, ox = j0 % p->ow;
    while (jl < jn) {
        const int64_t len = fc_min64(jn - jl, p->ow - ox);
        const int64_t iy = oy * p->stride_h + iyb;
        const int64_t u0 = fc_max64(ox, oxa), u1 = fc_min64(ox + len, oxe);
        if (iy >= 0 && iy < p->h && u1 > u0)
            runs[n++] =
                (FC_T(col2im_seg)){jl - ox + u0, iy * p->w + ixb + u0 * sw, u1 - u0};
        jl += len;
        ox = 0;
        oy++;
    }
    return n;
}

/* What plan_col2im decides. */
typedef struct {
    const GKR *kr;
    int64_t G, M, cin_g, khw, K, P, hw;
    int64_t cb, nblk_c;          /* input channels per task, blocks per group */
    int64_t ntasks, nt;          /* (image, group, channel block) tasks; threads */
    int64_t pb, nblk_p, maxruns; /* output pixels per block, blocks; runs per tap */
    int64_t dcol_n, work_n;      /* one thread's dcol and GEMM work */
    int64_t wpack_b;             /* elements of one packed W_g^T channel block */
    int64_t runs_n;              /* the runs table (in elements of T) */
} FC_T(col2im_plan);

/*
 * Per task (image, group, block of input channels), for each fixed block of output
 * pixels, dcol = W_g^T[rows of those channels] @ dy_g[:, block], then scatter-add into
 * the task's own dx planes. Each dx element is summed over (pixel block, tap, pixel) in a
 * fixed order; the channel split (thread dependent) only separates planes.
 */
static void FC_T(plan_col2im)(fc_isa isa, const fc_conv2d_params *p, int nthreads,
                              FC_T(col2im_plan) *pl)
{
    const int64_t G = p->groups, M = p->c_out / G, cin_g = p->c_in / G;
    const int64_t khw = p->kh * p->kw, K = cin_g * khw, P = p->oh * p->ow;
    int64_t nt = nthreads < 1 ? 1 : nthreads;
    if (p->n * p->c_out * K * P < FC_CONV_PARALLEL_MIN)
        nt = 1;
    const int64_t base = p->n * G;
    const int64_t ncb = fc_min64(fc_ceil_div(4 * nt, base), cin_g);
    pl->G = G;
    pl->M = M;
    pl->cin_g = cin_g;
    pl->khw = khw;
    pl->K = K;
    pl->P = P;
    pl->hw = p->h * p->w;
    pl->cb = fc_ceil_div(cin_g, ncb);
    pl->kr = FC_T(fc_gemm_select)(isa, pl->cb * khw);
    pl->nblk_c = fc_ceil_div(cin_g, pl->cb);
    pl->ntasks = base * pl->nblk_c;
    pl->nt = fc_min64(nt, pl->ntasks);
    pl->pb = fc_min64(P, FC_COL2IM_BLOCK);
    pl->dcol_n = fc_pad_elems(pl->cb * khw * pl->pb, sizeof(T));
    pl->work_n = FC_T(fc_gemm_work_size)(pl->kr, pl->pb);
    /* W_g^T of each (group, channel block) packed once per call, not once per task */
    pl->wpack_b = fc_pad_elems(FC_T(fc_gemm_packed_a_size)(pl->kr, pl->cb * khw, M),
                               sizeof(T));
    /* the col2im runs of every (pixel block, tap), shared by all tasks, then their
     * counts */
    pl->nblk_p = fc_ceil_div(P, pl->pb);
    pl->maxruns = FC_T(col2im_max_runs)(p, pl->pb);
    const int64_t runs_bytes =
        pl->nblk_p * khw * (pl->maxruns + 1) * (int64_t)sizeof(FC_T(col2im_seg));
    pl->runs_n = fc_pad_elems(fc_ceil_div(runs_bytes, (int64_t)sizeof(T)), sizeof(T));
}

/* Scratch: each thread's dcol and work, the packed weights, the runs table. */
static int64_t FC_T(col2im_scratch)(const FC_T(col2im_plan) *pl)
{
    return pl->G * pl->nblk_c * pl->wpack_b + pl->nt * (pl->dcol_n + pl->work_n) +
           pl->runs_n;
}

/* The runs table in the scratch (runs, then a count per (pixel block, tap)), filled in. */
static void FC_T(col2im_list_runs)(const fc_conv2d_params *p, const FC_T(col2im_plan) *pl,
                                   FC_T(col2im_seg) *runs, int64_t *nruns)
{
    const int64_t khw = pl->khw, pb = pl->pb;
    for (int64_t b = 0; b < pl->nblk_p; b++)
        for (int64_t tap = 0; tap < khw; tap++)
            nruns[b * khw + tap] =
                FC_T(col2im_runs)(p, tap / p->kw, tap % p->kw, b * pb,
                                  fc_min64(pb, pl->P - b * pb),
                                  runs + (b * khw + tap) * pl->maxruns);
}

/* This thread's share of the packed W_g^T channel blocks (split by MR panels). */
static void FC_T(col2im_pack_weights)(const FC_T(col2im_plan) *pl, const T *w, T *wpack,
                                      int64_t tid, int64_t nthr)
{
    const GKR *kr = pl->kr;
    const int64_t cb = pl->cb, khw = pl->khw, npan = fc_ceil_div(cb * khw, kr->mr);
    int64_t lo, hi;
    fc_split(pl->G * pl->nblk_c * npan, tid, nthr, &lo, &hi);
    for (int64_t v = lo; v < hi; v++) {
        const int64_t u = v / npan, i0 = (v % npan) * kr->mr;
        const int64_t g = u / pl->nblk_c, c0 = (u % pl->nblk_c) * cb;
        const int64_t rows = (fc_min64(c0 + cb, pl->cin_g) - c0) * khw;
        if (i0 >= rows)
            continue;
        OPD wa = {.pack = FC_T(fc_pack_a_strided), .ptr = w + g * pl->M * pl->K + c0 * khw,
                  .rs = 1, .cs = pl->K};
        FC_T(fc_gemm_prepack_a_rows)(kr, rows, pl->M, i0, fc_min64(kr->mr, rows - i0), &wa,
                                     wpack + u * pl->wpack_b);
    }
}

/* Task t: the dx planes of one (image, group, channel block), block of pixels by block. */
static void FC_T(col2im_task)(const fc_conv2d_params *p, const FC_T(col2im_plan) *pl,
                              int64_t t, const T *dy, const T *wpack,
                              const FC_T(col2im_seg) *runs, const int64_t *nruns, T *dx,
                              T *dcol, T *work)
{
    const int64_t G = pl->G, M = pl->M, P = pl->P, hw = pl->hw, khw = pl->khw;
    const int64_t nblk_c = pl->nblk_c, cb = pl->cb, pb = pl->pb;
    const int64_t img = t / (G * nblk_c), g = (t / nblk_c) % G;
    const int64_t c0 = (t % nblk_c) * cb, c1 = fc_min64(c0 + cb, pl->cin_g);
    const int64_t rows = (c1 - c0) * khw;
    T *dxc = dx + (img * p->c_in + g * pl->cin_g + c0) * hw;
    memset(dxc, 0, (size_t)((c1 - c0) * hw) * sizeof(T));
    OPD A = {.packed = wpack + (t % (G * nblk_c)) * pl->wpack_b};
    for (int64_t j0 = 0; j0 < P; j0 += pb) {
        const int64_t jn = fc_min64(pb, P - j0);
        OPD B = {.pack = FC_T(fc_pack_b_strided),
                 .ptr = dy + (img * p->c_out + g * M) * P + j0, .rs = P, .cs = 1};
        FC_T(fc_gemm_serial)(pl->kr, rows, jn, M, (T)1, &A, &B, (T)0, dcol, jn, NULL, 0,
                             work);
        /* col2im: row (ci, tap) of dcol adds into plane ci along the tap's runs */
        const int64_t b = j0 / pb;
        for (int64_t row = 0; row < rows; row++) {
            T *plane = dxc + (row / khw) * hw;
            const T *src = dcol + row * jn;
            const int64_t tap = row % khw, sw = p->stride_w;
            const FC_T(col2im_seg) *r = runs + (b * khw + tap) * pl->maxruns;
            const int64_t nr = nruns[b * khw + tap];
            for (int64_t q = 0; q < nr; q++) {
                T *d = plane + r[q].d;
                const T *sr = src + r[q].s;
                const int64_t len = r[q].len; /* a local: the adds cannot change it */
                if (sw == 2)
                    for (int64_t u = 0; u < len; u++)
                        d[2 * u] += sr[u];
                else
                    for (int64_t u = 0; u < len; u++)
                        d[u * sw] += sr[u];
            }
        }
    }
}

/* The OpenMP region: pack the weights, then run the tasks. */
static void FC_T(run_col2im)(const fc_conv2d_params *p, const FC_T(col2im_plan) *pl,
                             const T *dy, const T *w, T *dx, T *scratch, T *wpack,
                             const FC_T(col2im_seg) *runs, const int64_t *nruns)
{
#pragma omp parallel num_threads((int)pl->nt) if (pl->nt > 1)
    {
        const int64_t tid = fc_thread_num();
        T *dcol = scratch + tid * (pl->dcol_n + pl->work_n), *work = dcol + pl->dcol_n;
        FC_T(col2im_pack_weights)(pl, w, wpack, tid, fc_num_threads());
#pragma omp barrier
        /* dynamic: a thread delayed by the OS does not hold back the others' tasks */
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < pl->ntasks; t++)
            FC_T(col2im_task)(p, pl, t, dy, wpack, runs, nruns, dx, dcol, work);
    }
}

int FC_T(fc_conv2d_data_col2im)(fc_isa isa, const fc_conv2d_params *p, const T *dy,
                                const T *w, T *dx, int nthreads)
{
    FC_T(col2im_plan) pl;
    FC_T(plan_col2im)(isa, p, nthreads, &pl);
    T *scratch = (T *)fc_scratch_get(FC_T(col2im_scratch)(&pl) * (int64_t)sizeof(T));
    if (!scratch)
        return FC_ENOMEM;
    T *wpack = scratch + pl.nt * (pl.dcol_n + pl.work_n);
    FC_T(col2im_seg) *runs = (FC_T(col2im_seg) *)(wpack + pl.G * pl.nblk_c * pl.wpack_b);
    int64_t *nruns = (int64_t *)(runs + pl.nblk_p * pl.khw * pl.maxruns);
    FC_T(col2im_list_runs)(p, &pl, runs, nruns);
    FC_T(run_col2im)(p, &pl, dy, w, dx, scratch, wpack, runs, nruns);
    fc_scratch_put(scratch);
    return FC_OK;
}

/* ------------------------------------------------------------------ stride 1 */

/*
 * Stride 1: dx = conv(dy, W') with W'[g*Cin_g + ci, co, ky, kx] =
 * W[g*M + co, ci, KH-1-ky, KW-1-kx] and padding dil*(k-1) - pad (possibly negative),
 * run on Winograd (wino) or implicit GEMM. On the padded path W' has its taps ordered
 * (ky, co, kx) so that row blocks skip zero rows (kyfirst), where that saves a fifth of
 * the multiply-adds or more (a plan: it depends on the geometry and the micro-tile only).
 */
static int FC_T(data_kyfirst)(fc_isa isa, const fc_conv2d_params *q, int64_t M,
                              int64_t cin_g, int wino)
{
    if (wino || fc_conv_is_pointwise(q) || !fc_conv_use_padded(q))
        return 0;
    const GKR *kr = FC_T(fc_gemm_select)(isa, cin_g);
    const int64_t wp = q->ow + (q->kw - 1) * q->dil_w, K = M * q->kh * q->kw, nr = kr->nr;
    int64_t macs;
    FC_T(row_block)(q, wp, nr, K, &macs);
    return 5 * macs <= 4 * K * fc_round_up((q->oh - 1) * wp + q->ow, nr);
}

/* wr = W', taps in (ky, co, kx) order when kyfirst, else (co, ky, kx). */
static void FC_T(data_rotate_weights)(const fc_conv2d_params *p, const T *w, int kyfirst,
                                      T *wr)
{
    const int64_t G = p->groups, M = p->c_out / G, cin_g = p->c_in / G;
    const int64_t khw = p->kh * p->kw, kh = p->kh, kw = p->kw;
    for (int64_t g = 0; g < G; g++)
        for (int64_t ci = 0; ci < cin_g; ci++)
            for (int64_t co = 0; co < M; co++) {
                const T *src = w + ((g * M + co) * cin_g + ci) * khw;
                T *d = wr + (g * cin_g + ci) * M * khw;
                for (int64_t ky = 0; ky < kh; ky++)
                    for (int64_t kx = 0; kx < kw; kx++)
                        d[kyfirst ? (ky * M + co) * kw + kx : co * khw + ky * kw + kx] =
                            src[(kh - 1 - ky) * kw + (kw - 1 - kx)];
            }
}

int FC_T(fc_conv2d_data_rotated)(fc_isa isa, const fc_conv2d_params *p, const T *dy,
                                 const T *w, T *dx, int nthreads, int wino)
{
    const fc_conv2d_params q = fc_conv_rotated_params(p);
    const int64_t cin_g = p->c_in / p->groups;
    const int kyfirst = FC_T(data_kyfirst)(isa, &q, p->c_out / p->groups, cin_g, wino);
    T *wr = (T *)fc_aligned_malloc(p->c_out * cin_g * p->kh * p->kw * (int64_t)sizeof(T));
    if (!wr)
        return FC_ENOMEM;
    FC_T(data_rotate_weights)(p, w, kyfirst, wr);
    const int rc =
        wino ? FC_T(fc_conv2d_forward_winograd)(isa, &q, dy, wr, NULL, dx, 0, nthreads)
             : FC_T(conv_forward_gemm)(isa, &q, dy, wr, NULL, dx, 0, nthreads, kyfirst);
    fc_aligned_free(wr);
    return rc;
}
