/*
 * resample/grid_sample_tmpl.h - grid sampling of 4-D input and its gradients (semantics:
 * fastconv/resample.h). Instantiated per type by grid_sample.c.
 *
 * Output pixels are handled in blocks of RS_GS_BLOCK: the taps of a block (indices,
 * weights, and what the grid gradient needs) are computed once from the grid, then
 * every channel reads them. A pixel whose four taps are all inside the input takes a
 * branch-free path; the others test each tap, so a tap outside the input is never read
 * (0 * inf would otherwise turn into NaN). The coordinate maps (unnormalise, clip,
 * reflect, and their derivatives) are PyTorch's CPU ones, operation for operation.
 */

/* One output pixel's taps, in the order nw, ne, sw, se (nearest uses the first). */
typedef struct {
    int64_t at[4];   /* plane offsets of the taps (0 where outside) */
    T wt[4];         /* bilinear weights */
    T tx0, tx1;      /* (ix_nw + 1) - ix and ix - ix_nw */
    T ty0, ty1;      /* (iy_nw + 1) - iy and iy - iy_nw */
    T gmx, gmy;      /* d(source coordinate) / d(grid coordinate) */
    int inside;      /* bit k: tap k lies in the input; 15: all four (bilinear) */
} FC_T(rs_taps);

/* PyTorch's grid_sampler_unnormalize_set_grad. */
static inline T FC_T(rs_unnormalize)(T coord, int64_t size, int align_corners, T *grad)
{
    if (align_corners) {
        *grad = (T)(size - 1) / 2;
        return ((coord + 1) / 2) * (T)(size - 1);
    }
    *grad = (T)size / 2;
    return ((coord + 1) * (T)size - 1) / 2;
}

/* clip_coordinates_set_grad: into [0, size - 1], slope 0 where clipped. */
static inline T FC_T(rs_clip)(T in, int64_t size, T *grad)
{
    if (in <= (T)0) {
        *grad = 0;
        return 0;
    }
    const T max = (T)(size - 1);
    if (in >= max) {
        *grad = 0;
        return max;
    }
    *grad = 1;
    return in;
}

/* reflect_coordinates_set_grad: reflect about twice_low / 2 and twice_high / 2. The
 * parity of the number of flips is taken with fmod, defined for any magnitude. */
static inline T FC_T(rs_reflect)(T in, int64_t twice_low, int64_t twice_high, T *grad)
{
    if (twice_low == twice_high) {
        *grad = 0;
        return 0;
    }
    const T min = (T)twice_low / 2;
    const T span = (T)(twice_high - twice_low) / 2;
    T sign = 1;
    in = in - min;
    if (in < (T)0) {
        sign = -1;
        in = -in;
    }
    const T extra = (T)fmod(in, span);
    const T flips = (T)floor(in / span);
    if (fmod(flips, 2.0) == 0) {
        *grad = sign;
        return extra + min;
    }
    *grad = -sign;
    return span - extra + min;
}

/* grid_sampler_compute_source_index_set_grad: the pixel coordinate a grid value reads. */
static inline T FC_T(rs_source)(T coord, int64_t size, int padding, int align_corners,
                                T *grad)
{
    T g_clip, g_refl;
    coord = FC_T(rs_unnormalize)(coord, size, align_corners, grad);
    if (padding == FC_GRID_BORDER) {
        coord = FC_T(rs_clip)(coord, size, &g_clip);
        *grad = *grad * g_clip;
    } else if (padding == FC_GRID_REFLECTION) {
        if (align_corners)
            coord = FC_T(rs_reflect)(coord, 0, 2 * (size - 1), &g_refl);
        else
            coord = FC_T(rs_reflect)(coord, -1, 2 * size - 1, &g_refl);
        coord = FC_T(rs_clip)(coord, size, &g_clip);
        *grad = *grad * g_refl * g_clip;
    }
    return coord;
}

/* The taps of `count` output pixels whose grid entries start at g (x, y pairs). */
static void FC_T(rs_make_taps)(const T *g, int64_t count, int64_t h, int64_t w, int mode,
                               int padding, int align_corners, FC_T(rs_taps) *taps)
{
    for (int64_t q = 0; q < count; q++) {
        FC_T(rs_taps) *t = taps + q;
        const T ix = FC_T(rs_source)(g[2 * q], w, padding, align_corners, &t->gmx);
        const T iy = FC_T(rs_source)(g[2 * q + 1], h, padding, align_corners, &t->gmy);
        t->inside = 0;
        for (int k = 0; k < 4; k++) {
            t->at[k] = 0;
            t->wt[k] = 0;
        }
        t->tx0 = t->tx1 = t->ty0 = t->ty1 = 0;
        if (mode == FC_GRID_NEAREST) {
            const T rx = FC_T_IS_FLOAT ? (T)nearbyintf((float)ix) : (T)nearbyint((double)ix);
            const T ry = FC_T_IS_FLOAT ? (T)nearbyintf((float)iy) : (T)nearbyint((double)iy);
            if (rx >= 0 && rx < (T)w && ry >= 0 && ry < (T)h) {   /* false for NaN */
                t->at[0] = (int64_t)ry * w + (int64_t)rx;
                t->wt[0] = 1;
                t->inside = 1;
            }
            continue;
        }
        /* far outside (or NaN): no tap can be inside, and the casts below stay defined */
        if (!(ix > (T)-2 && ix < (T)(w + 1) && iy > (T)-2 && iy < (T)(h + 1)))
            continue;
        const T fx = (T)floor(ix), fy = (T)floor(iy);
        const int64_t x0 = (int64_t)fx, y0 = (int64_t)fy;
        t->tx0 = (fx + 1) - ix;
        t->tx1 = ix - fx;
        t->ty0 = (fy + 1) - iy;
        t->ty1 = iy - fy;
        t->wt[0] = t->tx0 * t->ty0;
        t->wt[1] = t->tx1 * t->ty0;
        t->wt[2] = t->tx0 * t->ty1;
        t->wt[3] = t->tx1 * t->ty1;
        for (int k = 0; k < 4; k++) {
            const int64_t xx = x0 + (k & 1), yy = y0 + (k >> 1);
            if (xx >= 0 && xx < w && yy >= 0 && yy < h) {
                t->at[k] = yy * w + xx;
                t->inside |= 1 << k;
            }
        }
    }
}

/* Output pixels per block: the taps of a block stay in L1/L2 while every channel reads
 * them. */
#define RS_GS_BLOCK 512

static int FC_T(fc_grid_sample2d_forward)(int64_t n, int64_t c, int64_t h, int64_t w,
                                          int64_t oh, int64_t ow, int mode, int padding,
                                          int align_corners, const T *x, const T *grid, T *y,
                                          int nthreads)
{
    const int64_t P = oh * ow, hw = h * w;
    const int nt = rs_threads(nthreads, n * c * P);
    /* tasks: (image, channel chunk); chunks only when the images are fewer than threads */
    const int64_t chunks = fc_min64(c, fc_ceil_div(nt, n));
    const int64_t per = fc_min64(P, RS_GS_BLOCK);
    FC_T(rs_taps) *scratch = fc_scratch_get((int64_t)nt * per * sizeof(FC_T(rs_taps)));
    if (!scratch)
        return FC_ENOMEM;
    #pragma omp parallel num_threads(nt) if(nt > 1)
    {
        FC_T(rs_taps) *taps = scratch + fc_thread_num() * per;
        #pragma omp for schedule(static)
        for (int64_t task = 0; task < n * chunks; task++) {
            const int64_t b = task / chunks;
            int64_t c_lo, c_hi;
            fc_split(c, task % chunks, chunks, &c_lo, &c_hi);
            for (int64_t q0 = 0; q0 < P; q0 += per) {
                const int64_t count = fc_min64(per, P - q0);
                FC_T(rs_make_taps)(grid + 2 * (b * P + q0), count, h, w, mode, padding,
                                   align_corners, taps);
                for (int64_t ch = c_lo; ch < c_hi; ch++) {
                    const T *xp = x + (b * c + ch) * hw;
                    T *yp = y + (b * c + ch) * P + q0;
                    for (int64_t q = 0; q < count; q++) {
                        const FC_T(rs_taps) *t = taps + q;
                        if (t->inside == 15) {
                            yp[q] = t->wt[0] * xp[t->at[0]] + t->wt[1] * xp[t->at[1]]
                                    + t->wt[2] * xp[t->at[2]] + t->wt[3] * xp[t->at[3]];
                        } else {
                            T v = 0;
                            for (int k = 0; k < 4; k++)
                                if (t->inside & (1 << k))
                                    v += t->wt[k] * xp[t->at[k]];
                            yp[q] = v;
                        }
                    }
                }
            }
        }
    }
    fc_scratch_put(scratch);
    return FC_OK;
}

static int FC_T(fc_grid_sample2d_backward)(int64_t n, int64_t c, int64_t h, int64_t w,
                                           int64_t oh, int64_t ow, int mode, int padding,
                                           int align_corners, const T *dy, const T *x,
                                           const T *grid, T *dx, T *dgrid, int nthreads)
{
    const int64_t P = oh * ow, hw = h * w;
    const int nt = (int)fc_min64(rs_threads(nthreads, n * c * P), n);
    const int64_t per = fc_min64(P, RS_GS_BLOCK);
    /* per thread: the taps of a block and its two gradient accumulators */
    const int64_t bytes = fc_round_up(per * (int64_t)sizeof(FC_T(rs_taps)), FC_ALIGN)
                          + fc_round_up(2 * per * (int64_t)sizeof(T), FC_ALIGN);
    char *scratch = fc_scratch_get((int64_t)nt * bytes);
    if (!scratch)
        return FC_ENOMEM;
    const int want_grid = dgrid != NULL && mode == FC_GRID_BILINEAR;
    #pragma omp parallel num_threads(nt) if(nt > 1)
    {
        char *mine = scratch + fc_thread_num() * bytes;
        FC_T(rs_taps) *taps = (FC_T(rs_taps) *)mine;
        T *gx = (T *)(mine + fc_round_up(per * (int64_t)sizeof(FC_T(rs_taps)), FC_ALIGN));
        T *gy = gx + per;
        #pragma omp for schedule(static)
        for (int64_t b = 0; b < n; b++) {
            if (dx)
                memset(dx + b * c * hw, 0, (size_t)(c * hw) * sizeof(T));
            if (dgrid && !want_grid)
                memset(dgrid + b * P * 2, 0, (size_t)(2 * P) * sizeof(T));
            for (int64_t q0 = 0; q0 < P; q0 += per) {
                const int64_t count = fc_min64(per, P - q0);
                FC_T(rs_make_taps)(grid + 2 * (b * P + q0), count, h, w, mode, padding,
                                   align_corners, taps);
                if (want_grid)
                    for (int64_t q = 0; q < count; q++)
                        gx[q] = gy[q] = 0;
                for (int64_t ch = 0; ch < c; ch++) {
                    const T *xp = x + (b * c + ch) * hw;
                    const T *dyp = dy + (b * c + ch) * P + q0;
                    T *dxp = dx ? dx + (b * c + ch) * hw : NULL;
                    for (int64_t q = 0; q < count; q++) {
                        const FC_T(rs_taps) *t = taps + q;
                        const T g = dyp[q];
                        if (dxp)
                            for (int k = 0; k < 4; k++)
                                if (t->inside & (1 << k))
                                    dxp[t->at[k]] += t->wt[k] * g;
                        if (!want_grid)
                            continue;
                        if (t->inside == 15) {
                            const T v0 = xp[t->at[0]], v1 = xp[t->at[1]];
                            const T v2 = xp[t->at[2]], v3 = xp[t->at[3]];
                            gx[q] += g * (t->ty0 * (v1 - v0) + t->ty1 * (v3 - v2));
                            gy[q] += g * (t->tx0 * (v2 - v0) + t->tx1 * (v3 - v1));
                        } else if (t->inside) {
                            T v[4];
                            for (int k = 0; k < 4; k++)
                                v[k] = (t->inside & (1 << k)) ? xp[t->at[k]] : (T)0;
                            gx[q] += g * (t->ty0 * (v[1] - v[0]) + t->ty1 * (v[3] - v[2]));
                            gy[q] += g * (t->tx0 * (v[2] - v[0]) + t->tx1 * (v[3] - v[1]));
                        }
                    }
                }
                if (want_grid) {
                    T *dg = dgrid + 2 * (b * P + q0);
                    for (int64_t q = 0; q < count; q++) {
                        dg[2 * q] = taps[q].gmx * gx[q];
                        dg[2 * q + 1] = taps[q].gmy * gy[q];
                    }
                }
            }
        }
    }
    fc_scratch_put(scratch);
    return FC_OK;
}
