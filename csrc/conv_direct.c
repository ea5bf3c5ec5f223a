/*
 * conv_direct.c - direct float convolution for small layers whose output channels fill
 * AVX-512 vectors (LeNet's conv2: 6 -> 16 channels, 5x5, 14x14 -> 10x10).
 *
 * The GEMM path numbers output columns on the padded input width, so a 10-wide output
 * read through 5x5 taps computes 136 (rounded to 160) columns per image for 100 pixels.
 * Here each output pixel is one vector of 16 output channels: per tap, one weight vector
 * times the broadcast input value, accumulated with FMA in tap order (ci, ky, kx) from
 * zero, for a block of up to 2 rows x 12 pixels held in registers; then bias and ReLU
 * as the GEMM epilogue applies them (t + bias, then max(0, t): NaN and -0 pass), and one
 * scatter per pixel into the 16 output planes. Tasks are (image, 16-channel block): no
 * sum depends on the thread count.
 *
 * Covers stride 1, no padding or dilation, one group, c_out a multiple of 16 up to 32,
 * at least 3x3 taps; fc_conv2d_forward_direct_f32 returns FC_ENOSYS for anything else,
 * or where the CPU lacks AVX-512F (or FASTCONV_GEMM_KERNEL caps the kernels below it),
 * or with FASTCONV_CONV_DIRECT=0.
 */
#pragma STDC FP_CONTRACT OFF

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conv_avx512.h"
#include "fastconv.h"
#include "fc_internal.h"

/* Below this many multiply-adds a call runs on one thread. */
#define DC_PARALLEL_MIN ((int64_t)1 << 17)
#define DC_MAX_COLS 12

/* FASTCONV_CONV_DIRECT=0 turns the direct kernels off (to compare them with the GEMM
   path). Read on every call: a getenv is nothing next to a convolution. */
static int dc_applies(const fc_conv2d_params *p)
{
    const char *env = getenv("FASTCONV_CONV_DIRECT");
    return !(env && strcmp(env, "0") == 0) && p->stride_h == 1 && p->stride_w == 1 && p->pad_h == 0 && p->pad_w == 0 &&
           p->dil_h == 1 && p->dil_w == 1 && p->groups == 1 && p->c_out % 16 == 0 &&
           p->c_out <= 32 && p->kh * p->kw >= 9 && p->oh == p->h - p->kh + 1 &&
           p->ow == p->w - p->kw + 1 && p->oh * p->ow <= ((int64_t)1 << 26);
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>

#define DC_INLINE __attribute__((target("avx512f"), always_inline)) static inline
#define DC_AVX512 __attribute__((target("avx512f")))

/*
 * ROWS x R output pixels from (oy, ox0) of one image and 16-channel block: xn is the
 * image, wq the block's packed weights [ci][ky][kx][16], yb the block's first output
 * plane. R and ROWS are literals after inlining, so acc[][] lives in registers.
 */
DC_INLINE void dc_block(const fc_conv2d_params *p, const float *xn, const float *wq,
                        const float *bq, float *yb, int64_t oy, int64_t ox0, int relu,
                        const int ROWS, const int R)
{
    const int64_t w = p->w, kh = p->kh, kw = p->kw, P = p->oh * p->ow;
    __m512 acc[2][DC_MAX_COLS];
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < R; c++)
            acc[r][c] = _mm512_setzero_ps();
    for (int64_t ci = 0; ci < p->c_in; ci++) {
        for (int64_t ky = 0; ky < kh; ky++) {
            const float *xr = xn + (ci * p->h + oy + ky) * w + ox0;
            const float *wr = wq + (ci * kh + ky) * kw * 16;
            for (int64_t kx = 0; kx < kw; kx++) {
                const __m512 wv = _mm512_loadu_ps(wr + kx * 16);
                for (int r = 0; r < ROWS; r++)
                    for (int c = 0; c < R; c++)
                        acc[r][c] = _mm512_fmadd_ps(wv, _mm512_set1_ps(xr[r * w + c + kx]),
                                                    acc[r][c]);
            }
        }
    }
    /* lane l of pixel (r, c) goes to output plane l: one scatter per pixel */
    const __m512i planes = _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32((int)P));
    const __m512 bias = bq ? _mm512_loadu_ps(bq) : _mm512_setzero_ps();
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < R; c++) {
            __m512 t = acc[r][c];
            if (bq)
                t = _mm512_add_ps(t, bias);
            if (relu)
                t = _mm512_max_ps(_mm512_setzero_ps(), t);
            _mm512_i32scatter_ps(yb + (oy + r) * p->ow + ox0 + c, planes, t, 4);
        }
}

#define DC_CASE(ROWS, R)                                                                   \
    case R:                                                                                \
        dc_block(p, xn, wq, bq, yb, oy, ox0, relu, ROWS, R);                               \
        break;
#define DC_SWITCH(ROWS)                                                                    \
    switch (n) {                                                                           \
        DC_CASE(ROWS, 1) DC_CASE(ROWS, 2) DC_CASE(ROWS, 3) DC_CASE(ROWS, 4)                \
        DC_CASE(ROWS, 5) DC_CASE(ROWS, 6) DC_CASE(ROWS, 7) DC_CASE(ROWS, 8)                \
        DC_CASE(ROWS, 9) DC_CASE(ROWS, 10) DC_CASE(ROWS, 11) DC_CASE(ROWS, 12)             \
    }

/* One image and channel block: rows in pairs, columns in runs of at most 12. */
DC_AVX512 static void dc_image(const fc_conv2d_params *p, const float *xn, const float *wq,
                               const float *bq, float *yb, int relu)
{
    for (int64_t oy = 0; oy < p->oh; oy += 2) {
        for (int64_t ox0 = 0; ox0 < p->ow; ox0 += DC_MAX_COLS) {
            const int n = (int)fc_min64(DC_MAX_COLS, p->ow - ox0);
            if (oy + 1 < p->oh) {
                DC_SWITCH(2)
            } else {
                DC_SWITCH(1)
            }
        }
    }
}

int fc_conv2d_forward_direct_f32(const fc_conv2d_params *p, const float *x, const float *w,
                                 const float *bias, float *y, int relu, int nthreads)
{
    if (!dc_applies(p) || !fc_bias_use_avx512())
        return FC_ENOSYS;
    const int64_t cb_n = p->c_out / 16, K = p->c_in * p->kh * p->kw, P = p->oh * p->ow;
    float *wq = (float *)fc_scratch_get(p->c_out * K * (int64_t)sizeof(float));
    if (!wq)
        return FC_ENOMEM;
    /* wq[cb][k][l] = w[cb * 16 + l][k], k = (ci, ky, kx) */
    for (int64_t cb = 0; cb < cb_n; cb++)
        for (int64_t k = 0; k < K; k++)
            for (int64_t l = 0; l < 16; l++)
                wq[(cb * K + k) * 16 + l] = w[(cb * 16 + l) * K + k];
    const int64_t tasks = p->n * cb_n;
    int nt = nthreads < 1 ? 1 : nthreads;
    if (p->n * p->c_out * K * P < DC_PARALLEL_MIN)
        nt = 1;
    (void)nt;
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t img = t / cb_n, cb = t % cb_n;
        dc_image(p, x + img * p->c_in * p->h * p->w, wq + cb * K * 16,
                 bias ? bias + cb * 16 : NULL, y + (img * p->c_out + cb * 16) * P, relu);
    }
    fc_scratch_put(wq);
    return FC_OK;
}

/* ------------------------------------------------------------------ weight gradient */

/*
 * dW[co][ci][ky][kx] = sum over images and output pixels of dy[co][pixel] times the input
 * under tap (ky, kx). dy is first transposed to [image][pixel][c_out] (one vector of 16
 * output channels per pixel); a task (input channel, 16-channel block) then keeps the
 * KH*KW tap accumulators of one image in registers, one dy load per pixel feeding
 * KH*KW FMAs with broadcast inputs, and adds each image's sums into its totals in image
 * order. The order depends on the shapes only, never on the thread count.
 */
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
            for (int64_t ox = 0; ox < p->ow; ox++) {
                const __m512 g = _mm512_loadu_ps(d + (oy * p->ow + ox) * C);
                const float *xr = xp + oy * p->w + ox;
                for (int ky = 0; ky < KH; ky++)
                    for (int kx = 0; kx < KW; kx++)
                        acc[ky * KW + kx] = _mm512_fmadd_ps(
                            g, _mm512_set1_ps(xr[ky * p->w + kx]), acc[ky * KW + kx]);
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

int fc_conv2d_backward_weight_direct_f32(const fc_conv2d_params *p, const float *x,
                                         const float *dy, float *dw, int nthreads)
{
    if (!dc_applies(p) || p->kh != p->kw || (p->kh != 3 && p->kh != 5) ||
        p->c_in * p->kh * p->kw * 16 > ((int64_t)1 << 26) || !fc_bias_use_avx512())
        return FC_ENOSYS;
    const int64_t C = p->c_out, P = p->oh * p->ow, cb_n = C / 16;
    float *dyt = (float *)fc_scratch_get(p->n * P * C * (int64_t)sizeof(float));
    if (!dyt)
        return FC_ENOMEM;
    int nt = nthreads < 1 ? 1 : nthreads;
    if (p->n * C * p->c_in * p->kh * p->kw * P < DC_PARALLEL_MIN)
        nt = 1;
    (void)nt;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        /* dyt[img][pixel][co] = dy[img][co][pixel] (a copy: no rounding) */
#pragma omp for schedule(static)
        for (int64_t img = 0; img < p->n; img++)
            for (int64_t co = 0; co < C; co++)
                for (int64_t j = 0; j < P; j++)
                    dyt[(img * P + j) * C + co] = dy[(img * C + co) * P + j];
#pragma omp for schedule(static)
        for (int64_t t = 0; t < p->c_in * cb_n; t++)
            dc_wgrad_task_any(p, x, dyt, t / cb_n, t % cb_n, dw);
    }
    fc_scratch_put(dyt);
    return FC_OK;
}

/* ------------------------------------------------------------------ few-tap wgrad */

#define DW_CB 3
#define DW_XB 5

/* conv.c's direct weight gradient for few taps in 16 lanes (see conv_avx512.h): blocks of
   DW_CB channels x DW_XB taps along kx; channels and taps past the end of a block repeat
   the last valid one and are dropped. Masked loads read nothing past column ow + kw - 2. */
DC_AVX512 void fc_wgrad_direct_avx512_f32(const float *xpad, int64_t xpad_img, int64_t hp,
                                          int64_t wp, const float *dy, int64_t dy_img,
                                          int64_t nimg, int64_t m, int64_t cin, int64_t kh,
                                          int64_t kw, int64_t oh, int64_t ow, float *out,
                                          int64_t ldo)
{
    const int64_t nv = (ow + 15) / 16, rem = ow - (nv - 1) * 16, P = oh * ow, plane = hp * wp;
    const __mmask16 tail = (__mmask16)((1u << rem) - 1);
    for (int64_t co0 = 0; co0 < m; co0 += DW_CB)
        for (int64_t ci = 0; ci < cin; ci++)
            for (int64_t ky = 0; ky < kh; ky++)
                for (int64_t kx0 = 0; kx0 < kw; kx0 += DW_XB) {
                    int64_t co[DW_CB], kx[DW_XB];
                    for (int c = 0; c < DW_CB; c++)
                        co[c] = fc_min64(co0 + c, m - 1);
                    for (int u = 0; u < DW_XB; u++)
                        kx[u] = fc_min64(kx0 + u, kw - 1);
                    __m512 acc[DW_CB][DW_XB];
                    for (int c = 0; c < DW_CB; c++)
                        for (int u = 0; u < DW_XB; u++)
                            acc[c][u] = _mm512_setzero_ps();
                    for (int64_t img = 0; img < nimg; img++) {
                        const float *d = dy + img * dy_img;
                        const float *xr = xpad + img * xpad_img + ci * plane + ky * wp;
                        for (int64_t oy = 0; oy < oh; oy++, xr += wp)
                            for (int64_t v = 0; v < nv; v++) {
                                const int64_t o = v * 16, at = oy * ow + o;
                                const __mmask16 mk = v + 1 < nv ? (__mmask16)0xFFFF : tail;
                                __m512 dv[DW_CB];
                                for (int c = 0; c < DW_CB; c++)
                                    dv[c] = _mm512_maskz_loadu_ps(mk, d + co[c] * P + at);
                                for (int u = 0; u < DW_XB; u++) {
                                    const __m512 xv = _mm512_maskz_loadu_ps(mk, xr + o + kx[u]);
                                    for (int c = 0; c < DW_CB; c++)
                                        acc[c][u] = _mm512_fmadd_ps(dv[c], xv, acc[c][u]);
                                }
                            }
                    }
                    for (int c = 0; c < DW_CB && co0 + c < m; c++)
                        for (int u = 0; u < DW_XB && kx0 + u < kw; u++)
                            out[(co0 + c) * ldo + (ci * kh + ky) * kw + kx0 + u] =
                                _mm512_reduce_add_ps(acc[c][u]);
                }
}

#else
void fc_wgrad_direct_avx512_f32(const float *xpad, int64_t xpad_img, int64_t hp, int64_t wp,
                                const float *dy, int64_t dy_img, int64_t nimg, int64_t m,
                                int64_t cin, int64_t kh, int64_t kw, int64_t oh, int64_t ow,
                                float *out, int64_t ldo)
{
    (void)xpad, (void)xpad_img, (void)hp, (void)wp, (void)dy, (void)dy_img, (void)nimg;
    (void)m, (void)cin, (void)kh, (void)kw, (void)oh, (void)ow, (void)out, (void)ldo;
}

int fc_conv2d_backward_weight_direct_f32(const fc_conv2d_params *p, const float *x,
                                         const float *dy, float *dw, int nthreads)
{
    (void)p, (void)x, (void)dy, (void)dw, (void)nthreads;
    return FC_ENOSYS;
}

int fc_conv2d_forward_direct_f32(const fc_conv2d_params *p, const float *x, const float *w,
                                 const float *bias, float *y, int relu, int nthreads)
{
    (void)p, (void)x, (void)w, (void)bias, (void)y, (void)relu, (void)nthreads;
    return FC_ENOSYS;
}
#endif
