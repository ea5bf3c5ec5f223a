/*
 * conv/direct_forward.c - the direct forward with 16 output channels per vector (see
 * conv/direct.h), and the same with ReLU and the 2x2 pool fused.
 *
 * Wide channels (LeNet's conv2: 6 -> 16, 5x5, 14x14 -> 10x10): the GEMM path numbers
 * output columns on the padded input width, so a 10-wide output read through 5x5 taps
 * computes 136 (rounded to 160) columns per image for 100 pixels. Here each output pixel
 * is one vector of 16 output channels: per tap, one weight vector times the broadcast
 * input value, for a block of up to 2 rows x 12 or 4 rows x 7 pixels held in registers,
 * into a tile of pixel vectors written out plane by plane. Tasks are (image, 16-channel
 * block). Covers stride 1 or 2, zero padding below the kernel size (taps read a
 * per-thread zero-padded copy of the image), no dilation, one group, c_out a multiple of
 * 16, >= 9 taps. Fused: the unpadded stride-1 layers only, pooling 2x2 (stride 2, floor
 * mode) in registers after the ReLU, writing pooled values and window positions exactly
 * as max_pool2x2_forward would, and no conv output.
 */
#pragma STDC FP_CONTRACT OFF

#include <string.h>

#include "conv/direct.h"

/* The forward runs directly where that measured faster than the GEMM path: the plain
   layers and stride 2 (ResNet's 128 -> 256, 3x3, s2 on 28x28: 1.1-1.4x). Padded stride-1
   layers measured slower (the GEMM path reads their rows without waste); force (direct
   mode FC_DIRECT_FORCE) runs them directly all the same (tests, benchmarks). */
int fc_conv2d_forward_direct_covers(const fc_conv2d_params *p, int force)
{
    return dc_plain(p) || (dc_covers(p) && (p->stride_h == 2 || force));
}

int fc_conv2d_relu_pool2x2_direct_covers(const fc_conv2d_params *p)
{
    return p->oh >= 2 && p->ow >= 2 && dc_plain(p);
}

#if FC_DIRECT_X86
#include "pool/max4_avx512.h"

/* Pooled pixel (py, px) of the 16 planes from its window's top-left a, top-right b,
   bottom-left c, bottom-right d, as max_pool2x2_forward scans them. */
DC_INLINE void dc_pool_store(const fc_conv2d_params *p, const dc_out *o, __m512i planes,
                             int64_t py, int64_t px, __m512 a, __m512 b, __m512 c, __m512 d)
{
    const int64_t pw = p->ow / 2, at = py * pw + px, PP = (p->oh / 2) * pw;
    __m512i k;
    const __m512 m = fc_max4_avx512(a, b, c, d, &k);
    _mm512_i32scatter_ps(o->pooled + at, planes, m, 4);
    int32_t kk[16];
    _mm512_storeu_si512(kk, k);
    for (int l = 0; l < 16; l++)
        o->pos[l * PP + at] = (uint8_t)kk[l];
}

/* acc[r][c] += every tap's weight vector times the broadcast input under it, taps in
   (ci, ky, kx) order: one broadcast per FMA. */
DC_INLINE void dc_taps(const fc_conv2d_params *p, const dc_in *in, const float *wq,
                       int64_t oy, int64_t ox0, __m512 acc[DC_MAX_ROWS][DC_MAX_COLS],
                       const int ROWS, const int R)
{
    const int64_t rs = in->rs, kh = p->kh, kw = p->kw, S = p->stride_h;
    for (int64_t ci = 0; ci < p->c_in; ci++)
        for (int64_t ky = 0; ky < kh; ky++) {
            const float *xr = in->x + ci * in->ps + (oy * S + ky) * rs + ox0 * S;
            const float *wr = wq + (ci * kh + ky) * kw * 16;
            for (int64_t kx = 0; kx < kw; kx++) {
                const __m512 wv = _mm512_loadu_ps(wr + kx * 16);
                for (int r = 0; r < ROWS; r++)
                    for (int c = 0; c < R; c++)
                        acc[r][c] = _mm512_fmadd_ps(
                            wv, _mm512_set1_ps(xr[r * S * rs + c * S + kx]), acc[r][c]);
            }
        }
}

/* The same sums in the same order, for a literal KW and stride S: a kernel row's KW
   weight vectors stay in registers and each input value is broadcast once for the
   outputs it feeds (c * S + kx == ix), so loads drop from one per FMA to about one per
   KW / S FMAs. */
DC_INLINE void dc_taps_reuse(const fc_conv2d_params *p, const dc_in *in, const float *wq,
                             int64_t oy, int64_t ox0, __m512 acc[DC_MAX_ROWS][DC_MAX_COLS],
                             const int ROWS, const int R, const int KW, const int S)
{
    const int64_t rs = in->rs, kh = p->kh;
    for (int64_t ci = 0; ci < p->c_in; ci++)
        for (int64_t ky = 0; ky < kh; ky++) {
            const float *xr = in->x + ci * in->ps + (oy * S + ky) * rs + ox0 * S;
            const float *wr = wq + (ci * kh + ky) * KW * 16;
            __m512 wv[7];
            for (int kx = 0; kx < KW; kx++)
                wv[kx] = _mm512_loadu_ps(wr + kx * 16);
            /* fully unrolled, so that acc[][] stays in registers */
#pragma GCC unroll 4
            for (int r = 0; r < ROWS; r++)
#pragma GCC unroll 32
                for (int ix = 0; ix < S * (R - 1) + KW; ix++) {
                    const __m512 xb = _mm512_set1_ps(xr[r * S * rs + ix]);
#pragma GCC unroll 8
                    for (int kx = 0; kx < KW; kx++) {  /* output c, kx increasing */
                        const int d = ix - kx, c = d / S;
                        if (d >= 0 && d % S == 0 && c < R)
                            acc[r][c] = _mm512_fmadd_ps(wv[kx], xb, acc[r][c]);
                    }
                }
        }
}

/*
 * ROWS x R output pixels from (oy, ox0) of one image and 16-channel block: in is the
 * image, wq the block's packed weights [ci][ky][kx][16], bq its 16 biases (or NULL).
 * R and ROWS are literals after inlining, so acc[][] lives in registers. With pooling
 * (ROWS == 2, oy and ox0 even) the column pairs become pooled pixels and a last odd
 * column is dropped (floor mode).
 */
DC_INLINE void dc_block(const fc_conv2d_params *p, const dc_in *in, const float *wq,
                        const float *bq, const dc_out *o, int64_t oy, int64_t ox0, int relu,
                        const int ROWS, const int R)
{
    __m512 acc[DC_MAX_ROWS][DC_MAX_COLS];
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < R; c++)
            acc[r][c] = _mm512_setzero_ps();
    if (p->kw == 5 && p->stride_w == 1)
        dc_taps_reuse(p, in, wq, oy, ox0, acc, ROWS, R, 5, 1);
    else if (p->kw == 3 && p->stride_w == 1)
        dc_taps_reuse(p, in, wq, oy, ox0, acc, ROWS, R, 3, 1);
    else if (p->kw == 3 && p->stride_w == 2)
        dc_taps_reuse(p, in, wq, oy, ox0, acc, ROWS, R, 3, 2);
    else
        dc_taps(p, in, wq, oy, ox0, acc, ROWS, R);
    const __m512 bias = bq ? _mm512_loadu_ps(bq) : _mm512_setzero_ps();
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < R; c++) {
            if (bq)
                acc[r][c] = _mm512_add_ps(acc[r][c], bias);
            if (relu)
                acc[r][c] = _mm512_max_ps(_mm512_setzero_ps(), acc[r][c]);
        }
    if (o->pooled) {
        /* lane l goes to plane l: one scatter per pooled pixel */
        const __m512i planes = _mm512_mullo_epi32(
            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
            _mm512_set1_epi32((int)((p->oh / 2) * (p->ow / 2))));
        for (int c = 0; c + 1 < R; c += 2)
            dc_pool_store(p, o, planes, oy / 2, (ox0 + c) / 2, acc[0][c], acc[0][c + 1],
                          acc[ROWS - 1][c], acc[ROWS - 1][c + 1]);
        return;
    }
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < R; c++)
            _mm512_storeu_ps(o->tile + ((oy + r) * p->ow + ox0 + c) * 16, acc[r][c]);
}

#define DC_CASE(ROWS, R)                                                                   \
    case R:                                                                                \
        dc_block(p, in, wq, bq, o, oy, ox0, relu, ROWS, R);                                \
        break;
#define DC_SWITCH(ROWS)                                                                    \
    switch (n) {                                                                           \
        DC_CASE(ROWS, 1) DC_CASE(ROWS, 2) DC_CASE(ROWS, 3) DC_CASE(ROWS, 4)                \
        DC_CASE(ROWS, 5) DC_CASE(ROWS, 6) DC_CASE(ROWS, 7) DC_CASE(ROWS, 8)                \
        DC_CASE(ROWS, 9) DC_CASE(ROWS, 10) DC_CASE(ROWS, 11) DC_CASE(ROWS, 12)             \
    }
#define DC_SWITCH_SHORT(ROWS)                                                              \
    switch (n) {                                                                           \
        DC_CASE(ROWS, 1) DC_CASE(ROWS, 2) DC_CASE(ROWS, 3) DC_CASE(ROWS, 4)                \
        DC_CASE(ROWS, 5) DC_CASE(ROWS, 6) DC_CASE(ROWS, 7)                                 \
    }

/* Columns per run: the output row in equal runs of at most 12 (even ones when pooling, so
   that pooling windows never straddle two runs). */
static int64_t dc_run_cols(const fc_conv2d_params *p, int pooled)
{
    if (pooled)
        return DC_MAX_COLS;
    const int64_t runs = fc_ceil_div(p->ow, DC_MAX_COLS);
    return fc_ceil_div(p->ow, runs);
}

/* One image and channel block: columns in runs (dc_run_cols), rows 4 at a time for short
   runs (not when pooling), else in pairs. Pooling stops at the last full pair. */
DC_AVX512 static void dc_image(const fc_conv2d_params *p, const dc_in *in, const float *wq,
                               const float *bq, const dc_out *o, int relu)
{
    const int64_t rows = o->pooled ? p->oh / 2 * 2 : p->oh;
    const int64_t run = dc_run_cols(p, o->pooled != NULL);
    const int64_t step = !o->pooled && run <= DC_SHORT_RUN ? 4 : 2;
    for (int64_t oy = 0; oy < rows; oy += step) {
        const int64_t nr = fc_min64(step, rows - oy);
        for (int64_t ox0 = 0; ox0 < p->ow; ox0 += run) {
            const int n = (int)fc_min64(run, p->ow - ox0);
            if (nr == 4) {
                DC_SWITCH_SHORT(4)
            } else if (nr == 3) {
                DC_SWITCH_SHORT(3)
            } else if (nr == 2) {
                DC_SWITCH(2)
            } else {
                DC_SWITCH(1)
            }
        }
    }
}

/* What plan_dc decides: tasks (image, channel block), threads, each thread's padded
   copy (copy: the taps read padding) and output tile, the packed weights. */
typedef struct {
    int64_t cb_n, K, P, tasks;
    int copy, nt;
    int64_t wq_n, xq_n, frame_n;
} dc_plan;

static void plan_dc(const fc_conv2d_params *p, int pooled, int nthreads, dc_plan *pl)
{
    pl->cb_n = p->c_out / 16;
    pl->K = p->c_in * p->kh * p->kw;
    pl->P = pooled ? (p->oh / 2) * (p->ow / 2) : p->oh * p->ow;
    pl->copy = dc_needs_copy(p);
    pl->wq_n = fc_pad_elems(p->c_out * pl->K, sizeof(float));
    pl->frame_n = pl->copy ? fc_pad_elems(p->c_in * dc_padded_h(p) * dc_padded_w(p),
                                          sizeof(float))
                           : 0;
    pl->xq_n = pl->frame_n + (pooled ? 0 : fc_pad_elems(p->oh * p->ow * 16, sizeof(float)));
    pl->tasks = p->n * pl->cb_n;
    pl->nt = dc_threads(p, pl->tasks, nthreads);
}

/* The OpenMP region (pooled == NULL: into y, else the fused ReLU + 2x2 pool into pooled
   and pos): pack the weights, then the tasks; each thread makes its padded copy again
   when its task's image changes. wq: the scratch. */
static void run_dc(const fc_conv2d_params *p, const dc_plan *pl, const float *x,
                   const float *w, const float *bias, float *y, float *pooled, uint8_t *pos,
                   int relu, float *wq)
{
    const int64_t cb_n = pl->cb_n, K = pl->K, P = pl->P;
#pragma omp parallel num_threads(pl->nt) if (pl->nt > 1)
    {
        fc_direct_pack_weights(p, w, wq, 16);
        float *xq = wq + pl->wq_n + fc_thread_num() * pl->xq_n;
        float *tile = xq + pl->frame_n;
        int64_t padded = -1;   /* the image in xq */
        dc_in in = {NULL, pl->copy ? dc_padded_w(p) : p->w,
                    pl->copy ? dc_padded_h(p) * dc_padded_w(p) : p->h * p->w};
#pragma omp for schedule(static)
        for (int64_t t = 0; t < pl->tasks; t++) {
            const int64_t img = t / cb_n, cb = t % cb_n, first = (img * p->c_out + cb * 16) * P;
            const float *xn = x + img * p->c_in * p->h * p->w;
            if (pl->copy && padded != img)
                fc_direct_pad_image(p, xn, xq);
            padded = img;
            in.x = pl->copy ? xq : xn;
            const dc_out o = {NULL, pooled ? pooled + first : NULL, pooled ? pos + first : NULL,
                              tile};
            dc_image(p, &in, wq + cb * K * 16, bias ? bias + cb * 16 : NULL, &o, relu);
            if (!pooled)
                fc_direct_tile_out(p, tile, y + first);
        }
    }
}

int fc_conv2d_forward_direct_avx512_f32(const fc_conv2d_params *p, const float *x,
                                        const float *w, const float *bias, float *y,
                                        float *pooled, uint8_t *pos, int relu, int nthreads)
{
    dc_plan pl;
    plan_dc(p, pooled != NULL, nthreads, &pl);
    const int64_t bytes = (pl.wq_n + pl.nt * pl.xq_n) * (int64_t)sizeof(float);
    float *wq = (float *)fc_scratch_get(bytes);
    if (!wq)
        return FC_ENOMEM;
    run_dc(p, &pl, x, w, bias, y, pooled, pos, relu, wq);
    fc_scratch_put(wq);
    return FC_OK;
}

#else /* not x86 with GCC/clang: never chosen (the ISA is generic there) */
int fc_conv2d_forward_direct_avx512_f32(const fc_conv2d_params *p, const float *x,
                                        const float *w, const float *bias, float *y,
                                        float *pooled, uint8_t *pos, int relu, int nthreads)
{
    (void)p, (void)x, (void)w, (void)bias, (void)y, (void)pooled, (void)pos, (void)relu;
    (void)nthreads;
    return FC_EINVAL;
}
#endif
