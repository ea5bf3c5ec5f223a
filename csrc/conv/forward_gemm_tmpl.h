/*
 * conv/forward_gemm_tmpl.h - the implicit-GEMM forward for one element type (a template:
 * see core/tmpl.h), on the operands of im2col_tmpl.h:
 *   y_g[M, P] = W_g[M, K] @ col(x)[K, P] (+ bias, ReLU in the micro-kernel's store)
 * with M = C_out/groups, K = C_in/groups*KH*KW, P = OH*OW; W packed once per call.
 *   stride 1: B read in place from a zero-padded copy of the image (padded_ctx)
 *   stride 2-4: the same from its phase planes (build_phased)
 *   1x1, stride 1, no padding: B is x itself
 *   otherwise: im2col done while packing B panels (pack_b_im2col)
 * Also the stride-1 data gradient's forward of dy (paddings may be negative), whose
 * weights may come with K ordered (ky, ci, kx) (kyfirst): see data_gemm_tmpl.h.
 *
 * plan_forward decides everything (operand paths, blocks, tasks, threads, scratch) before
 * the threads start; run_forward is the OpenMP region.
 */

/* Most output columns per forward task: keeps the packed kc x cols B block (and the
 * padded input and output block) inside L2 together. */
#define FC_CONV_MAX_COLS 512

/*
 * Stride 1 with K ordered (ky, ci, kx) (the data gradient's rotated weights): output rows
 * [oy0, oy1) read input rows only through taps ky in [*lo, *hi) (possibly empty); the
 * other taps meet zero padding alone and are skipped.
 */
static void FC_T(ky_range)(const fc_conv2d_params *p, int64_t oy0, int64_t oy1, int64_t *lo,
                           int64_t *hi)
{
    const int64_t dh = p->dil_h;
    const int64_t a = p->pad_h - (oy1 - 1);      /* ky*dh >= a */
    const int64_t b = p->pad_h + p->h - 1 - oy0; /* ky*dh <= b */
    const int64_t l = a <= 0 ? 0 : fc_ceil_div(a, dh);
    const int64_t h = b < 0 ? 0 : fc_min64(p->kh, b / dh + 1);
    *lo = fc_min64(l, p->kh);
    *hi = fc_max64(*lo, h);
}

/*
 * Output rows per task for the (ky, ci, kx) path: the fewest multiply-adds (taps kept
 * times padded columns) plus a per-GEMM overhead. Depends on the geometry and the
 * micro-tile only (never on the thread count), since it sets each sum's terms and order.
 */
static int64_t FC_T(row_block)(const fc_conv2d_params *p, int64_t wp, int64_t nr, int64_t K,
                               int64_t *macs)
{
    const int64_t kunit = K / p->kh;
    int64_t best = p->oh, bestcost = -1, bestmacs = 0;
    for (int64_t r = 1; r <= p->oh; r++) {
        if (r > 1 && fc_round_up((r - 1) * wp + p->ow, nr) > FC_CONV_MAX_COLS)
            break;
        int64_t cost = 0, m = 0;
        for (int64_t oy0 = 0; oy0 < p->oh; oy0 += r) {
            const int64_t oy1 = fc_min64(p->oh, oy0 + r);
            int64_t lo, hi;
            FC_T(ky_range)(p, oy0, oy1, &lo, &hi);
            m += (hi - lo) * kunit * fc_round_up((oy1 - oy0 - 1) * wp + p->ow, nr);
            cost += K * nr / 4;
        }
        cost += m;
        if (bestcost < 0 || cost <= bestcost) {
            best = r;
            bestcost = cost;
            bestmacs = m;
        }
    }
    if (macs)
        *macs = bestmacs;
    return best;
}

/* What plan_forward decides. */
typedef struct {
    const GKR *kr;
    int64_t G, M, cin_g, K, P, hw;
    int pointwise, padded;   /* B: x itself; B read in place from a padded/phase copy */
    int rowblk;              /* kyfirst: tasks are fixed blocks of rbk output rows */
    int64_t nph, hp, wp;     /* phase planes per channel and their size (padded) */
    int64_t ncols;           /* GEMM columns per image and group */
    int64_t nblk, jb, rbk;   /* blocks per image and group, of jb columns (rbk rows) */
    int64_t napack, wpack_g; /* packed weight copies and their elements */
    int64_t ntasks, nt;      /* (image, group, block) tasks; threads */
    int chunk;               /* tasks handed out at once */
    int64_t work_n, xpad_n, cbuf_n, per_thread; /* one thread's scratch */
} FC_T(forward_plan);

/*
 * Tasks are (image, group, block of output columns); a block boundary never changes a
 * result (columns of C are independent), so the block size may follow the thread count.
 * kyfirst (only where the padded stride-1 path runs, else FC_EINVAL): w's rows are
 * ordered (ky, ci, kx); tasks are then fixed blocks of output rows (row_block) and each
 * skips the taps that read zero padding only (ky_range).
 */
static int FC_T(plan_forward)(fc_isa isa, const fc_conv2d_params *p, int nthreads,
                              int kyfirst, FC_T(forward_plan) *pl)
{
    const int64_t G = p->groups, M = p->c_out / G, cin_g = p->c_in / G;
    const GKR *kr = FC_T(fc_gemm_select)(isa, M);
    const int64_t K = cin_g * p->kh * p->kw, P = p->oh * p->ow;
    pl->kr = kr;
    pl->G = G;
    pl->M = M;
    pl->cin_g = cin_g;
    pl->K = K;
    pl->P = P;
    pl->hw = p->h * p->w;
    pl->pointwise = fc_conv_is_pointwise(p);
    pl->padded = !pl->pointwise && fc_conv_use_phased(p);
    pl->nph = p->stride_h * p->stride_w;
    /* padded plane (stride 1) or phase plane (stride > 1) */
    pl->hp = p->oh + ((p->kh - 1) * p->dil_h) / p->stride_h;
    pl->wp = p->ow + ((p->kw - 1) * p->dil_w) / p->stride_w;
    pl->ncols = pl->padded ? (p->oh - 1) * pl->wp + p->ow : P;
    int64_t nt = nthreads < 1 ? 1 : nthreads;
    if (p->n * p->c_out * K * P < FC_CONV_PARALLEL_MIN)
        nt = 1;

    /* column blocks: enough tasks for every thread, at most FC_CONV_MAX_COLS columns */
    pl->rowblk = kyfirst && pl->padded && pl->nph == 1;
    if (kyfirst && !pl->rowblk)
        return FC_EINVAL; /* callers pass kyfirst only where the padded path runs */
    const int64_t base = p->n * G, ctiles = fc_ceil_div(pl->ncols, kr->nr);
    pl->rbk = 0;
    if (pl->rowblk) { /* fixed blocks of rbk output rows */
        pl->rbk = FC_T(row_block)(p, pl->wp, kr->nr, K, NULL);
        pl->nblk = fc_ceil_div(p->oh, pl->rbk);
        pl->jb = fc_round_up((pl->rbk - 1) * pl->wp + p->ow, kr->nr);
    } else {
        int64_t nblk = fc_min64(fc_ceil_div(4 * nt, base), ctiles);
        nblk = fc_max64(nblk, fc_ceil_div(pl->ncols, FC_CONV_MAX_COLS));
        pl->jb = fc_round_up(fc_ceil_div(pl->ncols, nblk), kr->nr);
        pl->nblk = fc_ceil_div(pl->ncols, pl->jb);
    }
    /* packed weights: one per group, or per (group, row block) with its taps only; with
     * one MR panel (M <= mr) the packed A is a plain [k][mr] array whatever the KC
     * blocks, so a row block reads its taps at an offset into the group's copy */
    const int onepanel = M <= kr->mr;
    pl->napack = pl->rowblk && !onepanel ? G * pl->nblk : G;
    pl->wpack_g = fc_pad_elems(FC_T(fc_gemm_packed_a_size)(kr, M, K), sizeof(T));
    pl->ntasks = base * pl->nblk;
    pl->nt = fc_min64(nt, pl->ntasks);
    /* hand out whole images when there are enough, so each padded copy is built once */
    pl->chunk = (int)(base >= 2 * pl->nt ? pl->nblk : 1);

    pl->work_n = FC_T(fc_gemm_work_size)(kr, pl->jb);
    pl->xpad_n = pl->padded ? cin_g * pl->nph * pl->hp * pl->wp + 2 * kr->nr + pl->wp : 0;
    pl->cbuf_n = pl->padded ? fc_pad_elems(M * pl->jb, sizeof(T)) : 0;
    pl->per_thread = pl->work_n + fc_pad_elems(pl->xpad_n, sizeof(T)) + pl->cbuf_n;
    return FC_OK;
}

/* Elements of the plan's scratch: the packed weights, then each thread's buffers. */
static int64_t FC_T(forward_scratch)(const FC_T(forward_plan) *pl)
{
    return pl->napack * pl->wpack_g + pl->nt * pl->per_thread;
}

/* This thread's share of the packed weights (split by MR panels). */
static void FC_T(forward_pack_weights)(const fc_conv2d_params *p,
                                       const FC_T(forward_plan) *pl, const T *w, T *wpack,
                                       int64_t tid, int64_t nthr)
{
    const GKR *kr = pl->kr;
    const int64_t M = pl->M, K = pl->K, npan = fc_ceil_div(M, kr->mr);
    int64_t lo, hi;
    fc_split(pl->napack * npan, tid, nthr, &lo, &hi);
    for (int64_t v = lo; v < hi; v++) {
        const int64_t u = v / npan, i0 = (v % npan) * kr->mr;
        const int64_t g = pl->napack != pl->G ? u / pl->nblk : u;
        int64_t kb = 0, kn = K;
        if (pl->napack != pl->G) {
            const int64_t oy0 = (u % pl->nblk) * pl->rbk;
            const int64_t oy1 = fc_min64(p->oh, oy0 + pl->rbk);
            int64_t klo, khi;
            FC_T(ky_range)(p, oy0, oy1, &klo, &khi);
            kb = klo * pl->cin_g * p->kw;
            kn = (khi - klo) * pl->cin_g * p->kw;
        }
        OPD wa = {.pack = FC_T(fc_pack_a_strided), .ptr = w + g * M * K + kb, .rs = K,
                  .cs = 1};
        FC_T(fc_gemm_prepack_a_rows)(kr, M, kn, i0, fc_min64(kr->mr, M - i0), &wa,
                                     wpack + u * pl->wpack_g);
    }
}

/* A thread's buffers: GEMM work, the padded copy of (image, group) `built`, the
 * padded path's output block. */
typedef struct {
    T *work, *xpad, *cbuf;
    int64_t built;
} FC_T(forward_bufs);

/* Task t: the block of output columns b of image img, group g. */
static void FC_T(forward_task)(const fc_conv2d_params *p, const FC_T(forward_plan) *pl,
                               int64_t t, const T *x, const T *wpack, const T *bias, T *y,
                               int relu, FC_T(forward_bufs) *bf)
{
    const GKR *kr = pl->kr;
    const int64_t G = pl->G, M = pl->M, K = pl->K, P = pl->P, nblk = pl->nblk;
    const int64_t jb = pl->jb, wp = pl->wp;
    const int64_t img = t / (G * nblk), g = (t / nblk) % G, b = t % nblk;
    int64_t j0 = b * jb, jn = fc_min64(jb, pl->ncols - j0), kb = 0, kn = K;
    if (pl->rowblk) {
        const int64_t oy0 = b * pl->rbk, oy1 = fc_min64(p->oh, oy0 + pl->rbk);
        int64_t klo, khi;
        FC_T(ky_range)(p, oy0, oy1, &klo, &khi);
        j0 = oy0 * wp;
        jn = (oy1 - oy0 - 1) * wp + p->ow;
        kb = klo * pl->cin_g * p->kw;
        kn = (khi - klo) * pl->cin_g * p->kw;
    }
    const T *xg = x + (img * p->c_in + g * pl->cin_g) * pl->hw;
    T *yg = y + (img * p->c_out + g * M) * P;
    const T *bg = bias ? bias + g * M : NULL;
    OPD A = {.packed = pl->napack != G ? wpack + (g * nblk + b) * pl->wpack_g
                                       : wpack + g * pl->wpack_g + kb * kr->mr};
    if (pl->padded) {
        if (bf->built != t / nblk) {
            if (pl->nph == 1)
                FC_T(build_padded)(p, xg, pl->cin_g, pl->hp, wp, pl->xpad_n, bf->xpad);
            else
                FC_T(build_phased)(p, xg, pl->cin_g, pl->hp, wp, pl->xpad_n, bf->xpad);
            bf->built = t / nblk;
        }
        FC_T(padded_ctx) cx = {bf->xpad, pl->hp * wp, pl->nph == 1 ? p->dil_h * wp : wp,
                               pl->nph == 1 ? p->dil_w : 1, p->kh * p->kw, p->kw,
                               p->stride_h, p->stride_w, p->dil_h, p->dil_w, pl->rowblk,
                               pl->cin_g, kb};
        OPD B = {.ctx = &cx, .off = j0, .rows = FC_T(rows_padded)};
        /* whole micro-tiles (cbuf is jb wide; xpad's slack covers the reads): the extra
         * columns are dropped below with the others, and the full-tile store is much
         * cheaper than the partial-tile one */
        FC_T(fc_gemm_serial)(kr, M, fc_round_up(jn, kr->nr), kn, (T)1, &A, &B, (T)0,
                             bf->cbuf, jb, bg, relu, bf->work);
        /* keep the columns that are real output pixels (ox < ow) */
        for (int64_t j = j0; j < j0 + jn;) {
            const int64_t oy = j / wp, ox = j % wp;
            const int64_t len = fc_min64(j0 + jn - j, wp - ox);
            const int64_t keep = fc_min64(len, p->ow - ox);
            for (int64_t i = 0; keep > 0 && i < M; i++)
                FC_T(copy_run)(yg + i * P + oy * p->ow + ox, bf->cbuf + i * jb + (j - j0),
                               keep);
            j += len;
        }
    } else if (pl->pointwise) {
        OPD B = {.pack = FC_T(fc_pack_b_strided), .ptr = xg + j0, .rs = pl->hw, .cs = 1};
        FC_T(fc_gemm_serial)(kr, M, jn, K, (T)1, &A, &B, (T)0, yg + j0, P, bg, relu,
                             bf->work);
    } else {
        FC_T(im2col_ctx) cx = {p, xg};
        OPD B = {.pack = FC_T(pack_b_im2col), .ctx = &cx, .off = j0};
        FC_T(fc_gemm_serial)(kr, M, jn, K, (T)1, &A, &B, (T)0, yg + j0, P, bg, relu,
                             bf->work);
    }
}

/* The OpenMP region: pack the weights, then run the tasks. */
static void FC_T(run_forward)(const fc_conv2d_params *p, const FC_T(forward_plan) *pl,
                              const T *x, const T *w, const T *bias, T *y, int relu,
                              T *scratch)
{
    const int chunk = pl->chunk;
    (void)chunk; /* unused without OpenMP */
#pragma omp parallel num_threads((int)pl->nt) if (pl->nt > 1)
    {
        const int64_t tid = fc_thread_num();
        FC_T(forward_bufs) bf;
        bf.work = scratch + pl->napack * pl->wpack_g + tid * pl->per_thread;
        bf.xpad = bf.work + pl->work_n;
        bf.cbuf = bf.xpad + fc_pad_elems(pl->xpad_n, sizeof(T));
        bf.built = -1;
        FC_T(forward_pack_weights)(p, pl, w, scratch, tid, fc_num_threads());
#pragma omp barrier
        /* dynamic: a thread delayed by the OS does not hold back the others' tasks */
#pragma omp for schedule(dynamic, chunk)
        for (int64_t t = 0; t < pl->ntasks; t++)
            FC_T(forward_task)(p, pl, t, x, scratch, bias, y, relu, &bf);
    }
}

static int FC_T(conv_forward_gemm)(fc_isa isa, const fc_conv2d_params *p, const T *x,
                                   const T *w, const T *bias, T *y, int relu, int nthreads,
                                   int kyfirst)
{
    FC_T(forward_plan) pl;
    const int rc = FC_T(plan_forward)(isa, p, nthreads, kyfirst, &pl);
    if (rc != FC_OK)
        return rc;
    T *scratch = (T *)fc_scratch_get(FC_T(forward_scratch)(&pl) * (int64_t)sizeof(T));
    if (!scratch)
        return FC_ENOMEM;
    FC_T(run_forward)(p, &pl, x, w, bias, y, relu, scratch);
    fc_scratch_put(scratch);
    return FC_OK;
}

int FC_T(fc_conv2d_forward_gemm)(fc_isa isa, const fc_conv2d_params *p, const T *x,
                                 const T *w, const T *bias, T *y, int relu, int nthreads)
{
    return FC_T(conv_forward_gemm)(isa, p, x, w, bias, y, relu, nthreads, 0);
}
