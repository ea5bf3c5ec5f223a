/*
 * conv/direct_wgrad.c - the direct weight gradient of stride-1 3x3 and 5x5 layers: the
 * unpadded ones with 16 or 32 output channels, and the padded ones with 16 output
 * channels and more than 32 taps per channel (ResNet-20's first stage), whose input is
 * first copied into a zero-padded frame (see conv/direct.h).
 *
 * dW[co][ci][ky][kx] = sum over images and output pixels of dy[co][pixel] times the input
 * under tap (ky, kx). dy is first transposed to [image][pixel][c_out] (one vector of 16
 * output channels per pixel); a task (input channel, 16-channel block) then keeps the
 * KH*KW tap accumulators of one image in registers, one dy load per pixel feeding
 * KH*KW FMAs with broadcast inputs, and adds each image's sums into its totals in image
 * order. The order depends on the shapes only, never on the thread count.
 */
#pragma STDC FP_CONTRACT OFF

#include <string.h>

#include "conv/direct.h"

/* Layers the wide-channel weight gradient computes: 3x3 and 5x5 plain layers, and padded
   stride-1 ones with c_out == 16 where that measured faster than the GEMM path (1 thread,
   batches 16-64, 8x8 to 56x56 outputs: 4->16 to 32->16 1.3-1.6x; the padded copy
   included). With 32 output channels the padded ones lost (16->32 on 32x32: 0.5x: each
   task streams all of dy once), and with 32 taps or fewer the few-tap kernel is faster
   (3->16: 0.85x), so those stay on their kernels. */
int fc_conv2d_wgrad_direct_covers(const fc_conv2d_params *p)
{
    if (!(dc_covers(p) && p->stride_h == 1 && p->kh == p->kw &&
          (p->kh == 3 || p->kh == 5) &&
          p->c_in * p->kh * p->kw * 16 <= ((int64_t)1 << 26) &&
          dc_padded_h(p) * dc_padded_w(p) <= ((int64_t)1 << 26)))
        return 0;
    return dc_plain(p) || (p->c_out == 16 && p->c_in * p->kh * p->kw > 32);
}

#if FC_DIRECT_X86
/* acc[ky * KW + kx] += dy of output pixels ox < R of one row (vectors g[ox * C]) times the
   input under tap (ky, kx) (rows xr + ky * w): pixels in increasing order for every tap,
   as a loop over pixels would add them, but each input value broadcast once for the KW
   pixels it meets along a kernel row. R, KH, KW are literals after inlining. */
DC_INLINE void dc_wgrad_run(const fc_conv2d_params *p, const float *xr, const float *g,
                            __m512 *acc, const int R, const int KH, const int KW)
{
    const int64_t C = p->c_out;
    __m512 gv[DC_MAX_COLS];
#pragma GCC unroll 12
    for (int ox = 0; ox < R; ox++)
        gv[ox] = _mm512_loadu_ps(g + ox * C);
#pragma GCC unroll 5
    for (int ky = 0; ky < KH; ky++)
#pragma GCC unroll 16
        for (int ix = 0; ix < R + KW - 1; ix++) {
            const __m512 xb = _mm512_set1_ps(xr[ky * p->w + ix]);
#pragma GCC unroll 5
            for (int kx = 0; kx < KW; kx++)
                if (ix - kx >= 0 && ix - kx < R)
                    acc[ky * KW + kx] = _mm512_fmadd_ps(gv[ix - kx], xb, acc[ky * KW + kx]);
        }
}

#define DW_CASE(R)                                                                         \
    case R:                                                                                \
        dc_wgrad_run(p, xr, g, acc, R, KH, KW);                                            \
        break;

DC_INLINE void dc_wgrad_task(const fc_conv2d_params *p, const float *x, const float *dyt,
                             int64_t ci, int64_t cb, float *dw, const int KH, const int KW)
{
    const int64_t P = p->oh * p->ow, plane = p->h * p->w, C = p->c_out;
    __m512 total[25];
    for (int t = 0; t < KH * KW; t++)
        total[t] = _mm512_setzero_ps();
    for (int64_t img = 0; img < p->n; img++) {
        const float *xp = x + (img * p->c_in + ci) * plane;
        const float *d = dyt + img * P * C + cb * 16;
        __m512 acc[25];
        for (int t = 0; t < KH * KW; t++)
            acc[t] = _mm512_setzero_ps();
        for (int64_t oy = 0; oy < p->oh; oy++)
            for (int64_t ox0 = 0; ox0 < p->ow; ox0 += DC_MAX_COLS) {
                const float *xr = xp + oy * p->w + ox0;
                const float *g = d + (oy * p->ow + ox0) * C;
                switch (fc_min64(DC_MAX_COLS, p->ow - ox0)) {
                    DW_CASE(1) DW_CASE(2) DW_CASE(3) DW_CASE(4) DW_CASE(5) DW_CASE(6)
                    DW_CASE(7) DW_CASE(8) DW_CASE(9) DW_CASE(10) DW_CASE(11) DW_CASE(12)
                }
            }
        for (int t = 0; t < KH * KW; t++)
            total[t] = _mm512_add_ps(total[t], acc[t]);
    }
    /* lane l of tap t is dW[cb * 16 + l][ci][t] */
    const int64_t K = p->c_in * KH * KW;
    const __m512i rows = _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32((int)K));
    for (int t = 0; t < KH * KW; t++)
        _mm512_i32scatter_ps(dw + cb * 16 * K + ci * KH * KW + t, rows, total[t], 4);
}

DC_AVX512 static void dc_wgrad_task_any(const fc_conv2d_params *p, const float *x,
                                        const float *dyt, int64_t ci, int64_t cb, float *dw)
{
    if (p->kh == 5)
        dc_wgrad_task(p, x, dyt, ci, cb, dw, 5, 5);
    else
        dc_wgrad_task(p, x, dyt, ci, cb, dw, 3, 3);
}

/* What plan_dc_wgrad decides: tasks (input channel, 16-channel block), threads. */
typedef struct {
    int64_t C, P, cb_n, tasks;
    int nt;
} dc_wgrad_plan;

static void plan_dc_wgrad(const fc_conv2d_params *p, int nthreads, dc_wgrad_plan *pl)
{
    pl->C = p->c_out;
    pl->P = p->oh * p->ow;
    pl->cb_n = pl->C / 16;
    pl->tasks = p->c_in * pl->cb_n;
    pl->nt = dc_threads(p, pl->tasks, nthreads);
}

/* The OpenMP region: dyt[img][pixel][co] = dy[img][co][pixel] and, where xq is given,
   xq = x in the zero-padded frame of q (copies: no rounding), then the tasks of q (the
   unpadded layer over xq, or p itself). */
static void run_dc_wgrad(const fc_conv2d_params *p, const fc_conv2d_params *q,
                         const dc_wgrad_plan *pl, const float *x, const float *dy, float *dw,
                         float *dyt, float *xq)
{
    const int64_t C = pl->C, P = pl->P, cb_n = pl->cb_n;
    const int64_t img_x = p->c_in * p->h * p->w, img_q = q->c_in * q->h * q->w;
#pragma omp parallel num_threads(pl->nt) if (pl->nt > 1)
    {
#pragma omp for schedule(static)
        for (int64_t img = 0; img < p->n; img++) {
            for (int64_t co = 0; co < C; co++)
                for (int64_t j = 0; j < P; j++)
                    dyt[(img * P + j) * C + co] = dy[(img * C + co) * P + j];
            if (xq)
                fc_direct_pad_image(p, x + img * img_x, xq + img * img_q);
        }
#pragma omp for schedule(static)
        for (int64_t t = 0; t < pl->tasks; t++)
            dc_wgrad_task_any(q, xq ? xq : x, dyt, t / cb_n, t % cb_n, dw);
    }
}

int fc_conv2d_wgrad_direct_avx512_f32(const fc_conv2d_params *p, const float *x,
                                      const float *dy, float *dw, int nthreads)
{
    dc_wgrad_plan pl;
    plan_dc_wgrad(p, nthreads, &pl);
    /* a padded layer runs as the unpadded one over its input's zero-padded copy */
    fc_conv2d_params q = *p;
    const int padded = dc_needs_copy(p);
    if (padded) {
        q.h = dc_padded_h(p);
        q.w = dc_padded_w(p);
        q.pad_h = q.pad_w = 0;
    }
    float *dyt = (float *)fc_scratch_get(p->n * pl.P * pl.C * (int64_t)sizeof(float));
    float *xq = padded ? (float *)fc_scratch_get(p->n * p->c_in * q.h * q.w *
                                                 (int64_t)sizeof(float))
                       : NULL;
    if (!dyt || (padded && !xq)) {
        fc_scratch_put(dyt);
        fc_scratch_put(xq);
        return FC_ENOMEM;
    }
    run_dc_wgrad(p, &q, &pl, x, dy, dw, dyt, xq);
    fc_scratch_put(xq);
    fc_scratch_put(dyt);
    return FC_OK;
}

#else /* not x86 with GCC/clang: never chosen (the ISA is generic there) */
int fc_conv2d_wgrad_direct_avx512_f32(const fc_conv2d_params *p, const float *x,
                                      const float *dy, float *dw, int nthreads)
{
    (void)p, (void)x, (void)dy, (void)dw, (void)nthreads;
    return FC_EINVAL;
}
#endif
