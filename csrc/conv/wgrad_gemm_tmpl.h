/*
 * conv/wgrad_gemm_tmpl.h - the implicit-GEMM weight gradient for one element type (a
 * template: see core/tmpl.h), on the operands of wgrad_pack_tmpl.h:
 *   dW_g[M, K] = sum over image chunks (in order) of dy_g @ col(x)^T over the chunk
 * col(x) panels gathered from the zero-padded input (split into phase planes at stride >
 * 1) where fc_conv_use_phased holds, else bounds-checked. For few taps (the chooser's
 * direct_few_taps, float only) the few-tap kernel replaces the GEMM in each task.
 * plan_wgrad decides chunks, tasks, threads and scratch; run_wgrad is the OpenMP region.
 */

/* Image chunks a weight gradient is split into (partials reduced in order). */
#define FC_WGRAD_MIN_CHUNKS 4
#define FC_WGRAD_MAX_CHUNKS 16

/* What plan_wgrad decides. */
typedef struct {
    const GKR *kr;
    int64_t G, M, cin_g, K, P, hw, dwsize;
    int64_t nch;            /* image chunks: chunk 0 into dw, the others into partials */
    int few_taps;           /* the few-tap kernel runs each task */
    int64_t nkb, kb;        /* dW column blocks per (chunk, group), of kb columns */
    int64_t ntasks, nt;     /* (chunk, group, column block) tasks; threads */
    int padded, in_place;   /* gather from a padded copy; that copy is x itself */
    int64_t phases, hp, wp; /* phase planes per channel and their size */
    int64_t xpad_img;       /* elements per image of the padded copy */
    int64_t xpad_n;         /* elements of the padded copies to build (0: in place) */
    int64_t part_n, work_n; /* one partial dW; one thread's GEMM work */
} FC_T(wgrad_plan);

/*
 * The number of chunks depends only on the shapes, never on nthreads: chunk 0 writes dw,
 * the others private partials, reduced element-wise in chunk order at the end. Tasks are
 * (chunk, group, block of dW columns).
 */
static void FC_T(plan_wgrad)(fc_isa isa, const fc_conv2d_params *p, int nthreads,
                             int few_taps, FC_T(wgrad_plan) *pl)
{
    const int64_t G = p->groups, M = p->c_out / G, cin_g = p->c_in / G;
    const GKR *kr = FC_T(fc_gemm_select)(isa, M);
    const int64_t K = cin_g * p->kh * p->kw, P = p->oh * p->ow, hw = p->h * p->w;
    pl->kr = kr;
    pl->G = G;
    pl->M = M;
    pl->cin_g = cin_g;
    pl->K = K;
    pl->P = P;
    pl->hw = hw;
    pl->dwsize = G * M * K;

    /* chunks: enough independent pieces when dW itself has few tiles, and a few anyway
     * so that threads split images rather than dW columns (each column block packs dy
     * again) */
    const int64_t tiles = G * fc_ceil_div(M, kr->mr) * fc_ceil_div(K, kr->nr);
    int64_t nch = fc_max64(fc_ceil_div(32, tiles), FC_WGRAD_MIN_CHUNKS);
    nch = fc_min64(fc_min64(nch, FC_WGRAD_MAX_CHUNKS), p->n);
    if (p->n * p->c_out * K * P < FC_CONV_PARALLEL_MIN)
        nch = 1;
    pl->nch = nch;

    int64_t nt = nthreads < 1 ? 1 : nthreads;
    if (p->n * p->c_out * K * P < FC_CONV_PARALLEL_MIN)
        nt = 1;
    /* few taps: one task per (chunk, group) */
    pl->few_taps = FC_T_IS_FLOAT && few_taps;
    const int64_t ktiles = pl->few_taps ? 1 : fc_ceil_div(K, kr->nr);
    int64_t nkb = fc_min64(fc_ceil_div(4 * nt, nch * G), ktiles);
    if (!pl->few_taps)
        nkb = fc_max64(nkb, fc_ceil_div(K, kr->nc));
    pl->kb = fc_round_up(fc_ceil_div(K, nkb), kr->nr);
    pl->nkb = fc_ceil_div(K, pl->kb);
    pl->ntasks = nch * G * pl->nkb;
    pl->nt = fc_min64(nt, pl->ntasks);

    /* zero-padded copy of every image (split into phase planes at stride > 1),
       gathered without bounds checks */
    pl->padded = fc_conv_use_phased(p);
    pl->phases = p->stride_h * p->stride_w;
    pl->hp = p->oh + (p->kh - 1) * p->dil_h / p->stride_h;
    pl->wp = p->ow + (p->kw - 1) * p->dil_w / p->stride_w;
    /* stride 1 without padding: the padded plane is x's own plane, read in place */
    pl->in_place = pl->padded && pl->phases == 1 && pl->hp == p->h && pl->wp == p->w;
    pl->xpad_img =
        pl->padded ? (pl->in_place ? p->c_in * hw
                                   : fc_pad_elems(p->c_in * pl->phases * pl->hp * pl->wp,
                                                  sizeof(T)))
                   : 0;
    pl->xpad_n = (pl->padded && !pl->in_place) ? p->n * pl->xpad_img : 0;
    pl->part_n = fc_pad_elems(pl->dwsize, sizeof(T));
    pl->work_n = FC_T(fc_gemm_work_size)(kr, pl->kb);
}

/* Scratch: the partials of chunks 1.., each thread's work, the padded copies. */
static int64_t FC_T(wgrad_scratch)(const FC_T(wgrad_plan) *pl)
{
    return (pl->nch - 1) * pl->part_n + pl->nt * pl->work_n + pl->xpad_n;
}

/* This thread's share of the padded copies (whole images). */
static void FC_T(wgrad_build_padded)(const fc_conv2d_params *p, const FC_T(wgrad_plan) *pl,
                                     const T *x, T *xp, int64_t tid, int64_t nthr)
{
    int64_t lo, hi;
    fc_split(p->n, tid, nthr, &lo, &hi);
    for (int64_t img = lo; img < hi; img++) {
        const T *xi = x + img * p->c_in * pl->hw;
        if (pl->phases == 1)
            FC_T(build_padded)(p, xi, p->c_in, pl->hp, pl->wp, pl->xpad_img,
                               xp + img * pl->xpad_img);
        else
            FC_T(build_phased)(p, xi, p->c_in, pl->hp, pl->wp, pl->xpad_img,
                               xp + img * pl->xpad_img);
    }
}

/* Task t: the column block b of group g's dW over chunk ch's images. */
static void FC_T(wgrad_task)(fc_isa isa, const fc_conv2d_params *p,
                             const FC_T(wgrad_plan) *pl, int64_t t, const T *x,
                             const T *xpad, const T *dy, T *dw, T *parts, T *work)
{
    const int64_t G = pl->G, M = pl->M, K = pl->K, P = pl->P, nkb = pl->nkb, kb = pl->kb;
    const int64_t ch = t / (G * nkb), g = (t / nkb) % G, b = t % nkb;
    int64_t i0, i1;
    fc_split(p->n, ch, pl->nch, &i0, &i1);
    const int64_t c0 = b * kb, cn = fc_min64(kb, K - c0);
    FC_T(wgrad_ctx) cx = {p, x + (i0 * p->c_in + g * pl->cin_g) * pl->hw,
                          dy + (i0 * p->c_out + g * M) * P,
                          xpad + i0 * pl->xpad_img +
                              g * pl->cin_g * pl->phases * pl->hp * pl->wp,
                          pl->xpad_img, pl->hp, pl->wp};
    T *out = (ch == 0 ? dw : parts + (ch - 1) * pl->part_n) + g * M * K + c0;
#if FC_T_IS_FLOAT
    if (pl->few_taps) { /* nkb == 1: c0 == 0, cn == K */
        fc_conv2d_wgrad_few_taps_f32(isa, cx.xpad, pl->xpad_img, pl->hp, pl->wp, cx.dy,
                                     p->c_out * P, i1 - i0, M, pl->cin_g, p->kh, p->kw,
                                     p->oh, p->ow, out, K);
        return;
    }
#endif
    (void)isa;
    OPD A = {.pack = FC_T(pack_a_wgrad), .ctx = &cx};
    OPD B = {.pack = pl->padded ? FC_T(pack_b_wgrad_padded) : FC_T(pack_b_wgrad),
             .ctx = &cx, .off = c0};
    FC_T(fc_gemm_serial)(pl->kr, M, cn, (i1 - i0) * P, (T)1, &A, &B, (T)0, out, K, NULL, 0,
                         work);
}

/* The OpenMP region: build the padded copies, run the tasks, add the partials to dw in
 * chunk order. */
static void FC_T(run_wgrad)(fc_isa isa, const fc_conv2d_params *p,
                            const FC_T(wgrad_plan) *pl, const T *x, const T *dy, T *dw,
                            T *scratch)
{
    T *parts = scratch, *work = scratch + (pl->nch - 1) * pl->part_n;
    T *xp = work + pl->nt * pl->work_n;
    const T *xpad = pl->in_place ? x : xp;
#pragma omp parallel num_threads((int)pl->nt) if (pl->nt > 1)
    {
        const int64_t tid = fc_thread_num(), nthr = fc_num_threads();
        if (pl->padded && !pl->in_place) {
            FC_T(wgrad_build_padded)(p, pl, x, xp, tid, nthr);
#pragma omp barrier
        }
        /* dynamic: a thread delayed by the OS does not hold back the others' tasks */
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < pl->ntasks; t++)
            FC_T(wgrad_task)(isa, p, pl, t, x, xpad, dy, dw, parts,
                             work + tid * pl->work_n);
        if (pl->nch > 1) {
#pragma omp barrier
            int64_t lo, hi;
            fc_split(pl->dwsize, tid, nthr, &lo, &hi);
            for (int64_t c = 1; c < pl->nch; c++) {
                const T *src = parts + (c - 1) * pl->part_n;
                for (int64_t e = lo; e < hi; e++)
                    dw[e] = dw[e] + src[e];
            }
        }
    }
}

int FC_T(fc_conv2d_wgrad_gemm)(fc_isa isa, const fc_conv2d_params *p, const T *x,
                               const T *dy, T *dw, int nthreads, int few_taps)
{
    FC_T(wgrad_plan) pl;
    FC_T(plan_wgrad)(isa, p, nthreads, few_taps, &pl);
    T *scratch = (T *)fc_scratch_get(FC_T(wgrad_scratch)(&pl) * (int64_t)sizeof(T));
    if (!scratch)
        return FC_ENOMEM;
    FC_T(run_wgrad)(isa, p, &pl, x, dy, dw, scratch);
    fc_scratch_put(scratch);
    return FC_OK;
}
