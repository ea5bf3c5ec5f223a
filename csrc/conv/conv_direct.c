/*
 * conv/conv_direct.c - direct float convolution kernels for small layers (LeNet's), AVX-512F.
 *
 * Wide channels (conv2: 6 -> 16, 5x5, 14x14 -> 10x10): the GEMM path numbers output
 * columns on the padded input width, so a 10-wide output read through 5x5 taps computes
 * 136 (rounded to 160) columns per image for 100 pixels. Here each output pixel is one
 * vector of 16 output channels: per tap, one weight vector times the broadcast input
 * value, accumulated with FMA in tap order (ci, ky, kx) from zero, for a block of up to
 * 2 rows x 12 or 4 rows x 7 pixels held in registers; then bias and ReLU as the GEMM
 * epilogue applies them (t + bias, then max(0, t): NaN and -0 pass), into a tile of pixel
 * vectors written out plane by plane. Tasks are (image, 16-channel block): no sum depends
 * on the thread count. Covers stride 1 or 2, zero padding below the kernel size (taps read
 * a per-thread zero-padded copy of the image), no dilation, one group, c_out a multiple
 * of 16, >= 9 taps; fc_conv2d_forward_direct_covers picks the layers where it is faster than the GEMM path.
 *
 * Stride-2 3x3 layers with c_in a multiple of 16 and c_out a multiple of 32 (ResNet's
 * downsampling 3x3) take a channel-blocked variant with the same sums (db_*): 32 output
 * channels of one output row at a time, reading a channel-innermost copy of the image.
 *
 * Few channels (conv1: 1 -> 6, 5x5, pad 2): vectors along the output row (rv_*).
 *
 * Both can pool 2x2 (stride 2, floor mode) in registers after the ReLU, writing pooled
 * values and window positions exactly as max_pool2x2_forward would, and no conv output.
 * The weight gradient of the wide-channel layers (3x3, 5x5), that of the stride-2 3x3
 * layers with c_in a multiple of 16 (channel-blocked, dwb_*) and conv.c's few-tap weight
 * gradient have AVX-512 kernels here too. Entry points return FC_ENOSYS for layers they
 * do not cover, where the CPU lacks AVX-512F (or FASTCONV_GEMM_KERNEL caps the kernels
 * below it), or with FASTCONV_CONV_DIRECT=0.
 */
#pragma STDC FP_CONTRACT OFF

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conv/conv_internal.h"
#include "core/internal.h"

/* Below this many multiply-adds a call runs on one thread. */
#define DC_PARALLEL_MIN ((int64_t)1 << 17)
#define DC_MAX_COLS 12
#define DC_MAX_ROWS 4
#define DC_SHORT_RUN 7   /* runs this short go 4 rows at a time (28 sums) */

/* Threads for a call of `tasks` independent tasks: one below DC_PARALLEL_MIN
   multiply-adds, else at most one per task. */
static int dc_threads(const fc_conv2d_params *p, int64_t tasks, int nthreads)
{
    const int64_t macs = p->n * p->c_out * p->c_in / p->groups * p->kh * p->kw * p->oh * p->ow;
    if (nthreads < 1 || macs < DC_PARALLEL_MIN)
        return 1;
    return (int)fc_max64(1, fc_min64(nthreads, tasks));
}

/* Layers the wide-channel forward computes: stride 1 or 2 (the same both ways), zero
   padding below the kernel size, no dilation, one group, c_out a multiple of 16. */
static int dc_covers(const fc_conv2d_params *p)
{
    return p->stride_h == p->stride_w && (p->stride_h == 1 ||
           p->stride_h == 2) && p->pad_h >= 0 && p->pad_h < p->kh && p->pad_w >= 0 &&
           p->pad_w < p->kw && p->dil_h == 1 && p->dil_w == 1 && p->groups == 1 &&
           p->c_out % 16 == 0 && p->oh >= 1 && p->ow >= 1 && p->kh * p->kw >= 9 &&
           p->oh * p->ow <= ((int64_t)1 << 26);
}

/* The unpadded stride-1 layers with 16 or 32 output channels (LeNet's conv2): the fused
   pool and the weight gradient cover these only. */
static int dc_plain(const fc_conv2d_params *p)
{
    return dc_covers(p) && p->stride_h == 1 && p->pad_h == 0 && p->pad_w == 0 &&
           p->c_out <= 32 && p->oh == p->h - p->kh + 1 && p->ow == p->w - p->kw + 1;
}

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

/* Layers the row-vectorised forward computes (rv_*, below). */
#define RV_MAX_CO 6
#define RV_LANES 16

int fc_conv2d_forward_direct_rows_covers(const fc_conv2d_params *p)
{
    return p->stride_h == 1 && p->stride_w == 1 &&
           p->dil_h == 1 && p->dil_w == 1 && p->groups == 1 && p->c_out <= RV_MAX_CO &&
           p->c_in * p->kh * p->kw <= 64 && p->oh >= 2 && p->ow <= 2 * RV_LANES &&
           p->pad_h >= 0 && p->pad_w >= 0;
}


/* The same with ReLU and the 2x2 pool fused. */
int fc_conv2d_relu_pool2x2_direct_rows_covers(const fc_conv2d_params *p)
{
    return p->oh >= 2 && p->ow >= 2 && fc_conv2d_forward_direct_rows_covers(p);
}

/* Layers the wide-channel weight gradient computes (3x3 and 5x5 plain layers). */
int fc_conv2d_wgrad_direct_covers(const fc_conv2d_params *p)
{
    return dc_plain(p) && p->kh == p->kw && (p->kh == 3 || p->kh == 5) &&
           p->c_in * p->kh * p->kw * 16 <= ((int64_t)1 << 26);
}

/* Layers the blocked kernel computes. */
int fc_conv2d_forward_direct_blocked_s2_covers(const fc_conv2d_params *p, int force)
{
    return fc_conv2d_forward_direct_covers(p, force) && p->stride_h == 2 && p->kh == 3 && p->kw == 3 &&
           p->c_in % 16 == 0 && p->c_out % 32 == 0;
}

/* Layers the blocked weight gradient computes. */
int fc_conv2d_wgrad_direct_blocked_s2_covers(const fc_conv2d_params *p)
{
    return p->stride_h == 2 && p->stride_w == 2 && p->kh == 3 &&
           p->kw == 3 && p->dil_h == 1 && p->dil_w == 1 && p->groups == 1 &&
           p->pad_h >= 0 && p->pad_h < 3 && p->pad_w >= 0 && p->pad_w < 3 &&
           p->c_in % 16 == 0 && p->c_out >= 1 && p->oh >= 1 && p->ow >= 1;
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>

#include "pool/max4_avx512.h"

#define DC_INLINE __attribute__((target("avx512f"), always_inline)) static inline
#define DC_AVX512 __attribute__((target("avx512f")))

/* Where a block's results go: conv output planes y (rv_*) or pixel vectors
   tile[pixel][16] (dc_*, then dc_tile_out), or (pooled != NULL) 2x2 stride-2 max-pool
   planes and window positions; each points at the block's first channel. */
typedef struct {
    float *y, *pooled;
    uint8_t *pos;
    float *tile;
} dc_out;

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

/* The input a block reads: channel planes of ps floats, rows of rs floats, already
   padded (tap (ky, kx) of output pixel (oy, ox) is row oy * S + ky, column ox * S + kx). */
typedef struct {
    const float *x;
    int64_t rs, ps;
} dc_in;

/* acc[r][c] += every tap's weight vector times the broadcast input under it, taps in
   (ci, ky, kx) order: one broadcast per FMA. */
DC_INLINE void dc_taps(const fc_conv2d_params *p, const dc_in *in, const float *wq,
                       int64_t oy, int64_t ox0, __m512 acc[DC_MAX_ROWS][DC_MAX_COLS], const int ROWS,
                       const int R)
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

/* y[l][pixel] = tile[pixel][l] for the 16 planes of a block: each plane written in order
   (a scatter per pixel into 16 planes a page apart thrashes the cache). */
DC_AVX512 static void dc_tile_out(const fc_conv2d_params *p, const float *tile, float *y)
{
    const int64_t P = p->oh * p->ow;
    const __m512i idx = _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32(16));
    for (int64_t l = 0; l < 16; l++)
        for (int64_t j = 0; j < P; j += 16) {
            const __mmask16 mk = (__mmask16)(P - j >= 16 ? 0xFFFF : (1u << (P - j)) - 1);
            const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mk, idx,
                                                      tile + j * 16 + l, 4);
            _mm512_mask_storeu_ps(y + l * P + j, mk, v);
        }
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

/* Padded rows and columns the taps read: (oh - 1) * S + kh by (ow - 1) * S + kw. */
static int64_t dc_padded_h(const fc_conv2d_params *p)
{
    return (p->oh - 1) * p->stride_h + p->kh;
}

static int64_t dc_padded_w(const fc_conv2d_params *p)
{
    return (p->ow - 1) * p->stride_w + p->kw;
}

/* Whether the taps read outside the input (then they read a zero-padded copy). */
static int dc_needs_copy(const fc_conv2d_params *p)
{
    return p->pad_h > 0 || p->pad_w > 0 || dc_padded_h(p) > p->h || dc_padded_w(p) > p->w;
}

/* xq = image xn in a zero-padded frame of dc_padded_h x dc_padded_w per channel. */
static void dc_pad_image(const fc_conv2d_params *p, const float *xn, float *xq)
{
    const int64_t hp = dc_padded_h(p), wp = dc_padded_w(p);
    const int64_t c0 = p->pad_w, n = fc_max64(0, fc_min64(p->w, wp - c0));
    for (int64_t ci = 0; ci < p->c_in; ci++)
        for (int64_t r = 0; r < hp; r++) {
            float *q = xq + (ci * hp + r) * wp;
            const int64_t iy = r - p->pad_h;
            if (iy < 0 || iy >= p->h || n == 0) {
                memset(q, 0, (size_t)wp * sizeof(float));
                continue;
            }
            memset(q, 0, (size_t)c0 * sizeof(float));
            memcpy(q + c0, xn + (ci * p->h + iy) * p->w, (size_t)n * sizeof(float));
            memset(q + c0 + n, 0, (size_t)(wp - c0 - n) * sizeof(float));
        }
}

/* ------------------------------------------------------------------ few output channels */

/*
 * Layers with few output channels (LeNet's conv1: 1 -> 6, 5x5, pad 2, 28x28) vectorise
 * along the output row instead: 16 output columns per vector, up to 2 vectors (ow <= 32),
 * CO x 2 rows x NCH vectors of accumulators. Each image is first copied into a zero-padded
 * plane (any padding), so taps need no bounds checks. Sums run over taps (ci, ky, kx) in
 * order with FMA from zero, then bias and ReLU as in dc_block.
 */

/* Two output rows (oy, oy + 1) of one image from its padded copy xq (rows of wq floats,
   hp rows per channel): all CO channels, NCH vectors of 16 columns. */
DC_INLINE void rv_rows(const fc_conv2d_params *p, const float *xq, int64_t hp, int64_t wq,
                       const float *w, const float *bias, const dc_out *o, int64_t oy,
                       int relu, const int CO, const int NCH)
{
    __m512 acc[RV_MAX_CO][2][2];
    for (int c = 0; c < CO; c++)
        for (int r = 0; r < 2; r++)
            for (int h = 0; h < NCH; h++)
                acc[c][r][h] = _mm512_setzero_ps();
    const int64_t K = p->c_in * p->kh * p->kw;
    for (int64_t ci = 0; ci < p->c_in; ci++)
        for (int64_t ky = 0; ky < p->kh; ky++)
            for (int64_t kx = 0; kx < p->kw; kx++) {
                const float *xr = xq + (ci * hp + oy + ky) * wq + kx;
                __m512 xv[2][2];
                for (int r = 0; r < 2; r++)
                    for (int h = 0; h < NCH; h++)
                        xv[r][h] = _mm512_loadu_ps(xr + r * wq + h * RV_LANES);
                const int64_t k = (ci * p->kh + ky) * p->kw + kx;
                for (int c = 0; c < CO; c++) {
                    const __m512 wv = _mm512_set1_ps(w[c * K + k]);
                    for (int r = 0; r < 2; r++)
                        for (int h = 0; h < NCH; h++)
                            acc[c][r][h] = _mm512_fmadd_ps(wv, xv[r][h], acc[c][r][h]);
                }
            }
    for (int c = 0; c < CO; c++)
        for (int r = 0; r < 2; r++)
            for (int h = 0; h < NCH; h++) {
                if (bias)
                    acc[c][r][h] = _mm512_add_ps(acc[c][r][h], _mm512_set1_ps(bias[c]));
                if (relu)
                    acc[c][r][h] = _mm512_max_ps(_mm512_setzero_ps(), acc[c][r][h]);
            }
    const int64_t ow = p->ow;
    if (!o->pooled) {
        for (int c = 0; c < CO; c++)
            for (int r = 0; r < 2; r++)
                for (int h = 0; h < NCH; h++) {
                    const int64_t left = ow - h * RV_LANES;
                    const __mmask16 mk = (__mmask16)(left >= RV_LANES ? 0xFFFF
                                                                      : (1u << left) - 1);
                    _mm512_mask_storeu_ps(o->y + (c * p->oh + oy + r) * ow + h * RV_LANES, mk,
                                          acc[c][r][h]);
                }
        return;
    }
    /* 2x2 windows: even and odd columns of both rows, as in pool2x2.c */
    const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26,
                                         28, 30);
    const __m512i od = _mm512_add_epi32(ev, _mm512_set1_epi32(1));
    const int64_t ph = p->oh / 2, pw = ow / 2;
    const __mmask16 mo = (__mmask16)((1u << pw) - 1);
    for (int c = 0; c < CO; c++) {
        const __m512 t0 = acc[c][0][0], b0 = acc[c][1][0];
        const __m512 t1 = NCH > 1 ? acc[c][0][NCH - 1] : _mm512_setzero_ps();
        const __m512 b1 = NCH > 1 ? acc[c][1][NCH - 1] : _mm512_setzero_ps();
        __m512i k;
        const __m512 m = fc_max4_avx512(
            _mm512_permutex2var_ps(t0, ev, t1), _mm512_permutex2var_ps(t0, od, t1),
            _mm512_permutex2var_ps(b0, ev, b1), _mm512_permutex2var_ps(b0, od, b1), &k);
        const int64_t at = (c * ph + oy / 2) * pw;
        _mm512_mask_storeu_ps(o->pooled + at, mo, m);
        _mm512_mask_cvtepi32_storeu_epi8(o->pos + at, mo, k);
    }
}

#define RV_CASE(CO)                                                                        \
    case CO:                                                                               \
        if (nch == 1)                                                                      \
            rv_rows(p, xq, hp, wq, w, bias, o, oy, relu, CO, 1);                           \
        else                                                                               \
            rv_rows(p, xq, hp, wq, w, bias, o, oy, relu, CO, 2);                           \
        break;

/* One image: its padded copy into xq, then row pairs (an odd last row is computed again
   with the row above it, writing the same values; pooling stops at the last pair). */
DC_AVX512 static void rv_image(const fc_conv2d_params *p, const float *xn, float *xq,
                               const float *w, const float *bias, const dc_out *o, int relu)
{
    const int64_t hp = p->oh + p->kh - 1, nch = (p->ow + RV_LANES - 1) / RV_LANES;
    const int64_t wq = nch * RV_LANES + p->kw - 1;
    memset(xq, 0, (size_t)(p->c_in * hp * wq) * sizeof(float));
    for (int64_t ci = 0; ci < p->c_in; ci++)
        for (int64_t r = 0; r < p->h; r++) {
            const int64_t qr = r + p->pad_h;
            const int64_t c0 = p->pad_w, n = fc_min64(p->w, wq - c0);
            if (qr < hp && n > 0)
                memcpy(xq + (ci * hp + qr) * wq + c0, xn + (ci * p->h + r) * p->w,
                       (size_t)n * sizeof(float));
        }
    const int64_t rows = o->pooled ? p->oh / 2 * 2 : p->oh;
    for (int64_t y0 = 0; y0 < rows; y0 += 2) {
        const int64_t oy = y0 + 1 < rows ? y0 : rows - 2;
        switch (p->c_out) {
            RV_CASE(1) RV_CASE(2) RV_CASE(3) RV_CASE(4) RV_CASE(5) RV_CASE(6)
        }
    }
}

static int rv_forward(const fc_conv2d_params *p, const float *x, const float *w,
                      const float *bias, float *y, float *pooled, uint8_t *pos, int relu,
                      int nthreads)
{
    const int64_t hp = p->oh + p->kh - 1, nch = (p->ow + RV_LANES - 1) / RV_LANES;
    const int64_t xq_n = fc_pad_elems(p->c_in * hp * (nch * RV_LANES + p->kw - 1),
                                      sizeof(float));
    const int64_t in = p->c_in * p->h * p->w;
    const int64_t out = pooled ? p->c_out * (p->oh / 2) * (p->ow / 2) : p->c_out * p->oh * p->ow;
    const int nt = dc_threads(p, p->n, nthreads);
    float *xq = (float *)fc_scratch_get(nt * xq_n * (int64_t)sizeof(float));
    if (!xq)
        return FC_ENOMEM;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        float *mine = xq + fc_thread_num() * xq_n;
#pragma omp for schedule(static)
        for (int64_t img = 0; img < p->n; img++) {
            const dc_out o = {pooled ? NULL : y + img * out, pooled ? pooled + img * out : NULL,
                              pooled ? pos + img * out : NULL};
            rv_image(p, x + img * in, mine, w, bias, &o, relu);
        }
    }
    fc_scratch_put(xq);
    return FC_OK;
}

/* wq[cb][k][l] = w[cb * lanes + l][k], k = (ci, ky, kx): blocks of lanes (16 or 32)
   channels in turn, shared among the threads of the enclosing parallel region. Written
   in order, reading lanes rows side by side (writes a line apart missed L1 each). */
static void dc_pack_weights(const fc_conv2d_params *p, const float *w, float *wq,
                            int64_t lanes)
{
    const int64_t K = p->c_in * p->kh * p->kw;
#pragma omp for schedule(static)
    for (int64_t cb = 0; cb < p->c_out / lanes; cb++)
        for (int64_t k = 0; k < K; k++)
            for (int64_t l = 0; l < lanes; l++)
                wq[(cb * K + k) * lanes + l] = w[(cb * lanes + l) * K + k];
}

/* The forward (pooled == NULL: into y) or the fused ReLU + 2x2 pool (into pooled, pos).
   Tasks (image, channel block); where the taps read padding, each thread keeps a padded
   copy of the image its task reads, made again when the image changes. Each thread's
   tile holds one task's output pixels. */
static int dc_forward(const fc_conv2d_params *p, const float *x, const float *w,
                      const float *bias, float *y, float *pooled, uint8_t *pos, int relu,
                      int nthreads)
{
    const int64_t cb_n = p->c_out / 16, K = p->c_in * p->kh * p->kw;
    const int64_t P = pooled ? (p->oh / 2) * (p->ow / 2) : p->oh * p->ow;
    const int copy = dc_needs_copy(p);
    const int64_t wq_n = fc_pad_elems(p->c_out * K, sizeof(float));
    const int64_t xq_n = (copy ? fc_pad_elems(p->c_in * dc_padded_h(p) * dc_padded_w(p),
                                              sizeof(float)) : 0) +
                         (pooled ? 0 : fc_pad_elems(p->oh * p->ow * 16, sizeof(float)));
    const int64_t tasks = p->n * cb_n;
    const int nt = dc_threads(p, tasks, nthreads);
    float *wq = (float *)fc_scratch_get((wq_n + nt * xq_n) * (int64_t)sizeof(float));
    if (!wq)
        return FC_ENOMEM;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        dc_pack_weights(p, w, wq, 16);
        float *xq = wq + wq_n + fc_thread_num() * xq_n;
        float *tile = copy ? xq + fc_pad_elems(p->c_in * dc_padded_h(p) * dc_padded_w(p),
                                               sizeof(float)) : xq;
        int64_t padded = -1;   /* the image in xq */
        dc_in in = {NULL, copy ? dc_padded_w(p) : p->w,
                    copy ? dc_padded_h(p) * dc_padded_w(p) : p->h * p->w};
#pragma omp for schedule(static)
        for (int64_t t = 0; t < tasks; t++) {
            const int64_t img = t / cb_n, cb = t % cb_n, first = (img * p->c_out + cb * 16) * P;
            const float *xn = x + img * p->c_in * p->h * p->w;
            if (copy && padded != img)
                dc_pad_image(p, xn, xq);
            padded = img;
            in.x = copy ? xq : xn;
            const dc_out o = {NULL, pooled ? pooled + first : NULL, pooled ? pos + first : NULL,
                              tile};
            dc_image(p, &in, wq + cb * K * 16, bias ? bias + cb * 16 : NULL, &o, relu);
            if (!pooled)
                dc_tile_out(p, tile, y + first);
        }
    }
    fc_scratch_put(wq);
    return FC_OK;
}

/* ------------------------------------------------------------------ stride 2, blocked */

/*
 * Stride-2 3x3 layers with c_in a multiple of 16 and c_out a multiple of 32 (ResNet's
 * 128 -> 256 downsampling): the image is copied once per thread into a zero-padded
 * channel-blocked frame xb[ci / 16][row][col][16], and a run of up to 14 pixels of one
 * output row is computed for 32 output channels at once (28 sums in registers). Per tap,
 * 2 weight vectors and one broadcast per pixel feed 2 FMAs each (0.57 loads per FMA, the
 * broadcasts of a tap in a few L1 lines). The sums are dc_block's: taps in (ci, ky, kx)
 * order from zero, then bias, then ReLU; tasks (image, 32-channel block).
 */
#define DB_MAX_COLS 14   /* 2 x 14 sums, 2 weight vectors and a broadcast: 31 registers */


/* dst[j][l] = r[l][j] for the first n of 16 columns j: a 16x16 transpose in registers. */
DC_INLINE void db_transpose16(const __m512 r[16], float *dst, int64_t n)
{
    __m512 t[16], u[16], v[16];
    for (int k = 0; k < 16; k += 2) {
        t[k] = _mm512_unpacklo_ps(r[k], r[k + 1]);
        t[k + 1] = _mm512_unpackhi_ps(r[k], r[k + 1]);
    }
    /* u[4k + m], 128-bit lane L: channels 4k..4k+3 of column 4L + m */
    for (int k = 0; k < 16; k += 4)
        for (int h = 0; h < 2; h++) {
            const __m512d a = _mm512_castps_pd(t[k + h]), b = _mm512_castps_pd(t[k + h + 2]);
            u[k + 2 * h] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
            u[k + 2 * h + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
        }
    /* v[g + m] (g = 0 or 8, m < 4): lanes 0 and 2 of u[g + m] and u[g + 4 + m];
       v[g + 4 + m]: lanes 1 and 3 */
    for (int g = 0; g < 16; g += 8)
        for (int m = 0; m < 4; m++) {
            v[g + m] = _mm512_shuffle_f32x4(u[g + m], u[g + 4 + m], 0x88);
            v[g + 4 + m] = _mm512_shuffle_f32x4(u[g + m], u[g + 4 + m], 0xDD);
        }
    __m512 out[16];
    for (int m = 0; m < 4; m++) {
        out[m] = _mm512_shuffle_f32x4(v[m], v[8 + m], 0x88);
        out[8 + m] = _mm512_shuffle_f32x4(v[m], v[8 + m], 0xDD);
        out[4 + m] = _mm512_shuffle_f32x4(v[4 + m], v[12 + m], 0x88);
        out[12 + m] = _mm512_shuffle_f32x4(v[4 + m], v[12 + m], 0xDD);
    }
    for (int64_t j = 0; j < n; j++)
        _mm512_storeu_ps(dst + j * 16, out[j]);
}

/* xb[cb][r][c][l] = input channel cb * 16 + l at padded row r, column c of image xn (zero
   outside it): 16 columns of 16 planes at a time, transposed in registers. */
DC_AVX512 static void db_pack_image(const fc_conv2d_params *p, const float *xn, float *xb)
{
    const int64_t hp = dc_padded_h(p), wp = dc_padded_w(p), plane = p->h * p->w;
    const int64_t c0 = p->pad_w, n = fc_max64(0, fc_min64(p->w, wp - c0));
    for (int64_t cb = 0; cb < p->c_in / 16; cb++)
        for (int64_t r = 0; r < hp; r++) {
            float *q = xb + (cb * hp + r) * wp * 16;
            const int64_t iy = r - p->pad_h;
            if (iy < 0 || iy >= p->h || n == 0) {
                memset(q, 0, (size_t)(wp * 16) * sizeof(float));
                continue;
            }
            const float *src = xn + cb * 16 * plane + iy * p->w;
            memset(q, 0, (size_t)(c0 * 16) * sizeof(float));
            for (int64_t ix = 0; ix < n; ix += 16) {
                const int64_t m = fc_min64(16, n - ix);
                const __mmask16 mk = (__mmask16)(m == 16 ? 0xFFFF : (1u << m) - 1);
                __m512 rows[16];
                for (int l = 0; l < 16; l++)
                    rows[l] = _mm512_maskz_loadu_ps(mk, src + l * plane + ix);
                db_transpose16(rows, q + (c0 + ix) * 16, m);
            }
            memset(q + (c0 + n) * 16, 0, (size_t)((wp - c0 - n) * 16) * sizeof(float));
        }
}

/* R pixels of one output row for 32 channels: xr is the frame at the run's first tap
   (rows rs, channel blocks ps floats apart), wq the block's packed weights
   [ci][ky][kx][32], bq its 32 biases (or NULL); pixel j of channel half b goes to
   tile[b * P + at + j][16]. R is a literal after inlining, so acc[][] lives in registers. */
DC_INLINE void db_run(const fc_conv2d_params *p, const float *xr, int64_t rs, int64_t ps,
                      const float *wq, const float *bq, float *tile, int64_t at, int relu,
                      const int R)
{
    const int64_t P = p->oh * p->ow;
    __m512 acc[2][DB_MAX_COLS];
#pragma GCC unroll 14
    for (int c = 0; c < R; c++)
        acc[0][c] = acc[1][c] = _mm512_setzero_ps();
    for (int64_t cb = 0; cb < p->c_in / 16; cb++)
        for (int64_t ci = 0; ci < 16; ci++) {
            const float *xc = xr + cb * ps + ci, *wc = wq + (cb * 16 + ci) * 9 * 32;
#pragma GCC unroll 3
            for (int ky = 0; ky < 3; ky++)
#pragma GCC unroll 3
                for (int kx = 0; kx < 3; kx++) {
                    const __m512 w0 = _mm512_loadu_ps(wc + (ky * 3 + kx) * 32);
                    const __m512 w1 = _mm512_loadu_ps(wc + (ky * 3 + kx) * 32 + 16);
                    /* hidden from the compiler, so that it broadcasts again rather than
                       keeping the values kx and kx + 2 share in registers (spills) */
                    const float *xk = xc + ky * rs + kx * 16;
                    __asm__("" : "+r"(xk));
#pragma GCC unroll 14
                    for (int c = 0; c < R; c++) {
                        const __m512 xv = _mm512_set1_ps(xk[2 * c * 16]);
                        acc[0][c] = _mm512_fmadd_ps(w0, xv, acc[0][c]);
                        acc[1][c] = _mm512_fmadd_ps(w1, xv, acc[1][c]);
                    }
                }
        }
#pragma GCC unroll 2
    for (int b = 0; b < 2; b++) {
        const __m512 bias = bq ? _mm512_loadu_ps(bq + b * 16) : _mm512_setzero_ps();
#pragma GCC unroll 14
        for (int c = 0; c < R; c++) {
            __m512 t = acc[b][c];
            if (bq)
                t = _mm512_add_ps(t, bias);
            if (relu)
                t = _mm512_max_ps(_mm512_setzero_ps(), t);
            _mm512_storeu_ps(tile + (b * P + at + c) * 16, t);
        }
    }
}

#define DB_CASE(R)                                                                         \
    case R:                                                                                \
        db_run(p, xr, rs, ps, wq, bq, tile, oy * p->ow + ox0, relu, R);                    \
        break;

/* One image (in its frame xb) and 32-channel block: each output row in equal runs of at
   most DB_MAX_COLS pixels, into tile (two 16-channel halves of P pixels). */
DC_AVX512 static void db_image(const fc_conv2d_params *p, const float *xb, const float *wq,
                               const float *bq, float *tile, int relu)
{
    const int64_t wp = dc_padded_w(p), rs = wp * 16, ps = dc_padded_h(p) * rs;
    const int64_t run = fc_ceil_div(p->ow, fc_ceil_div(p->ow, DB_MAX_COLS));
    for (int64_t oy = 0; oy < p->oh; oy++)
        for (int64_t ox0 = 0; ox0 < p->ow; ox0 += run) {
            const float *xr = xb + (2 * oy * wp + 2 * ox0) * 16;
            switch (fc_min64(run, p->ow - ox0)) {
                DB_CASE(1) DB_CASE(2) DB_CASE(3) DB_CASE(4) DB_CASE(5) DB_CASE(6) DB_CASE(7)
                DB_CASE(8) DB_CASE(9) DB_CASE(10) DB_CASE(11) DB_CASE(12) DB_CASE(13)
                DB_CASE(14)
            }
        }
}

/* The forward of fc_conv2d_forward_direct_blocked_s2_covers's layers into y. Each thread keeps the frame of the image its
   task reads, made again when the image changes, and a tile of one task's outputs. */
static int db_forward(const fc_conv2d_params *p, const float *x, const float *w,
                      const float *bias, float *y, int relu, int nthreads)
{
    const int64_t pb_n = p->c_out / 32, K = p->c_in * 9, P = p->oh * p->ow;
    const int64_t wq_n = fc_pad_elems(p->c_out * K, sizeof(float));
    const int64_t xb_n =
        fc_pad_elems(p->c_in * dc_padded_h(p) * dc_padded_w(p), sizeof(float));
    const int64_t xq_n = xb_n + fc_pad_elems(2 * P * 16, sizeof(float));
    const int64_t tasks = p->n * pb_n;
    const int nt = dc_threads(p, tasks, nthreads);
    float *wq = (float *)fc_scratch_get((wq_n + nt * xq_n) * (int64_t)sizeof(float));
    if (!wq)
        return FC_ENOMEM;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        dc_pack_weights(p, w, wq, 32);
        float *xb = wq + wq_n + fc_thread_num() * xq_n, *tile = xb + xb_n;
        int64_t packed = -1;   /* the image in xb */
#pragma omp for schedule(static)
        for (int64_t t = 0; t < tasks; t++) {
            const int64_t img = t / pb_n, pb = t % pb_n;
            float *yb = y + (img * p->c_out + pb * 32) * P;
            if (packed != img)
                db_pack_image(p, x + img * p->c_in * p->h * p->w, xb);
            packed = img;
            db_image(p, xb, wq + pb * K * 32, bias ? bias + pb * 32 : NULL, tile, relu);
            dc_tile_out(p, tile, yb);
            dc_tile_out(p, tile + P * 16, yb + 16 * P);
        }
    }
    fc_scratch_put(wq);
    return FC_OK;
}

int fc_conv2d_forward_direct_avx512_f32(const fc_conv2d_params *p, const float *x,
                                        const float *w, const float *bias, float *y,
                                        float *pooled, uint8_t *pos, int relu, int nthreads)
{
    return dc_forward(p, x, w, bias, y, pooled, pos, relu, nthreads);
}

int fc_conv2d_forward_direct_rows_avx512_f32(const fc_conv2d_params *p, const float *x,
                                             const float *w, const float *bias, float *y,
                                             float *pooled, uint8_t *pos, int relu,
                                             int nthreads)
{
    return rv_forward(p, x, w, bias, y, pooled, pos, relu, nthreads);
}

int fc_conv2d_forward_direct_blocked_s2_avx512_f32(const fc_conv2d_params *p, const float *x,
                                                   const float *w, const float *bias,
                                                   float *y, int relu, int nthreads)
{
    return db_forward(p, x, w, bias, y, relu, nthreads);
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

/*
 * Stride-2 3x3 layers with c_in a multiple of 16 (ResNet's 128 -> 256 downsampling), any
 * c_out: x in db_pack_image's channel-blocked frame, dy transposed to blocks of 14 output
 * channels [pixel][16] (2 lanes unused). A tile is 14 output channels x 2 units, a unit
 * being one tap of one 16-channel input block (lanes = input channels): per output pixel,
 * 2 vector loads of x and 14 broadcasts of dy feed 28 FMAs (0.57 loads per FMA, the
 * input vectors of a tile in L1 across the channel blocks). Each tile's sums run over
 * each image's pixels in order from zero, the images' sums then added in image order (in
 * sum[unit][c_out][16]); threads split the tiles, so no sum depends on the thread count.
 */
#define DWB_H 14   /* 2 x 14 sums, 2 input vectors and a broadcast: 31 registers */
#define DWB_GROUP_BYTES ((int64_t)1 << 20)   /* images packed between two barriers */


/* sum[v][c] (unit v, output channel c of the block) = the image's own sum over its
   output pixels of x (frame xu + v * du at the pixel's tap) times dy (g[pixel][16]),
   from zero, then added to sum (stored when first): images add whole, which keeps the
   rounding error of long batches near the GEMM path's. H and V are literals after
   inlining. */
DC_INLINE void dwb_tile(const fc_conv2d_params *p, const float *xu, int64_t du,
                        const float *g, float *sum, int64_t ls, int first, const int H,
                        const int V)
{
    const int64_t rs = dc_padded_w(p) * 16;
    __m512 acc[2][DWB_H];
#pragma GCC unroll 2
    for (int v = 0; v < V; v++)
#pragma GCC unroll 14
        for (int c = 0; c < H; c++)
            acc[v][c] = _mm512_setzero_ps();
    for (int64_t oy = 0; oy < p->oh; oy++) {
        const float *xr = xu + 2 * oy * rs;
        for (int64_t ox = 0; ox < p->ow; ox++, g += 16) {
            const __m512 a = _mm512_loadu_ps(xr + ox * 32);
            const __m512 b = V == 2 ? _mm512_loadu_ps(xr + du + ox * 32) : a;
#pragma GCC unroll 14
            for (int c = 0; c < H; c++) {
                const __m512 d = _mm512_set1_ps(g[c]);
                acc[0][c] = _mm512_fmadd_ps(a, d, acc[0][c]);
                if (V == 2)
                    acc[1][c] = _mm512_fmadd_ps(b, d, acc[1][c]);
            }
        }
    }
#pragma GCC unroll 2
    for (int v = 0; v < V; v++)
#pragma GCC unroll 14
        for (int c = 0; c < H; c++) {
            float *s = sum + v * ls + c * 16;
            const __m512 t = first ? acc[v][c] : _mm512_add_ps(_mm512_loadu_ps(s), acc[v][c]);
            _mm512_storeu_ps(s, t);
        }
}

#define DWB_CASE(H)                                                                        \
    case H:                                                                                \
        if (v == 2)                                                                        \
            dwb_tile(p, xu, du, g, s, ls, first, H, 2);                                    \
        else                                                                               \
            dwb_tile(p, xu, du, g, s, ls, first, H, 1);                                    \
        break;

/* Where unit u (tap u % 9 of input block u / 9) reads frame xb for output pixel (0, 0). */
static const float *dwb_unit(const fc_conv2d_params *p, const float *xb, int64_t u)
{
    const int64_t wp = dc_padded_w(p), t = u % 9;
    return xb + (u / 9 * dc_padded_h(p) * wp + t / 3 * wp + t % 3) * 16;
}

/* Tile (unit pair, 14-channel block) of one image: xb its frame, dyt its dy blocks. */
DC_AVX512 static void dwb_task(const fc_conv2d_params *p, const float *xb, const float *dyt,
                               float *sum, int64_t pair, int64_t cob, int first)
{
    const int64_t C = p->c_out, P = p->oh * p->ow, U = p->c_in / 16 * 9, ls = C * 16;
    const int64_t u = 2 * pair, v = fc_min64(2, U - u), h = fc_min64(DWB_H, C - cob * DWB_H);
    const float *xu = dwb_unit(p, xb, u);
    const int64_t du = v == 2 ? dwb_unit(p, xb, u + 1) - xu : 0;
    const float *g = dyt + cob * P * 16;
    float *s = sum + (u * C + cob * DWB_H) * 16;
    switch (h) {
        DWB_CASE(1) DWB_CASE(2) DWB_CASE(3) DWB_CASE(4) DWB_CASE(5) DWB_CASE(6) DWB_CASE(7)
        DWB_CASE(8) DWB_CASE(9) DWB_CASE(10) DWB_CASE(11) DWB_CASE(12) DWB_CASE(13)
        DWB_CASE(14)
    }
}

/* dyt[cob][pixel][c] = dy[cob * 14 + c][pixel] of one image for c < 14 (the last block
   shorter; lanes past it zero): 16 pixels at a time, transposed in registers. */
DC_AVX512 static void dwb_pack_dy(const fc_conv2d_params *p, const float *dyn, float *dyt)
{
    const int64_t C = p->c_out, P = p->oh * p->ow;
    for (int64_t c0 = 0; c0 < C; c0 += DWB_H) {
        const int64_t h = fc_min64(DWB_H, C - c0);
        float *q = dyt + c0 / DWB_H * P * 16;
        for (int64_t j = 0; j < P; j += 16) {
            const int64_t m = fc_min64(16, P - j);
            const __mmask16 mk = (__mmask16)(m == 16 ? 0xFFFF : (1u << m) - 1);
            __m512 rows[16];
            for (int c = 0; c < 16; c++)
                rows[c] = c < h ? _mm512_maskz_loadu_ps(mk, dyn + (c0 + c) * P + j)
                                : _mm512_setzero_ps();
            db_transpose16(rows, q + j * 16, m);
        }
    }
}

/* dw[co][ci][ky][kx] = lane ci % 16 of sum[unit (ci / 16, ky, kx)][co], for the output
   channels co of [lo, hi): the 9 taps x 16 lanes of an input block transposed in
   registers, then 16 runs of 9 taps written in order. */
DC_AVX512 static void dwb_store(const fc_conv2d_params *p, const float *sum, float *dw,
                                int64_t lo, int64_t hi)
{
    const int64_t C = p->c_out, K = p->c_in * 9;
    float tmp[16 * 16];
    for (int64_t co = lo; co < hi; co++)
        for (int64_t cb = 0; cb < p->c_in / 16; cb++) {
            __m512 rows[16];
            for (int t = 0; t < 16; t++)
                rows[t] = t < 9 ? _mm512_loadu_ps(sum + ((cb * 9 + t) * C + co) * 16)
                                : _mm512_setzero_ps();
            db_transpose16(rows, tmp, 16);
            for (int l = 0; l < 16; l++)
                _mm512_mask_storeu_ps(dw + co * K + (cb * 16 + l) * 9, 0x1FF,
                                      _mm512_loadu_ps(tmp + l * 16));
        }
}

/* The weight gradient of fc_conv2d_wgrad_direct_blocked_s2_covers's layers into dw. Images go in groups: the threads
   pack a group's images into shared buffers, then every thread adds all of them, in image
   order, into its own tiles. One thread packs one image at a time (its frame still in
   cache for the tiles); several pack about DWB_GROUP_BYTES between two barriers, at least
   one image each. */
static int dwb_backward_weight(const fc_conv2d_params *p, const float *x, const float *dy,
                               float *dw, int nthreads)
{
    const int64_t C = p->c_out, P = p->oh * p->ow, K = p->c_in * 9, U = p->c_in / 16 * 9;
    const int64_t cbs = fc_ceil_div(C, DWB_H), tiles = fc_ceil_div(U, 2) * cbs;
    const int64_t xb_n = fc_pad_elems(p->c_in * dc_padded_h(p) * dc_padded_w(p),
                                      sizeof(float));
    const int64_t dy_n = fc_pad_elems(cbs * P * 16, sizeof(float));
    const int64_t sum_n = fc_pad_elems(C * K, sizeof(float));
    const int nt = dc_threads(p, tiles, nthreads);
    const int64_t group =
        nt == 1 ? 1 : nt * fc_max64(1, DWB_GROUP_BYTES / (nt * (xb_n + dy_n) * 4));
    float *sum =
        (float *)fc_scratch_get((sum_n + group * (xb_n + dy_n)) * (int64_t)sizeof(float));
    if (!sum)
        return FC_ENOMEM;
    float *xb = sum + sum_n, *dyt = xb + group * xb_n;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int64_t lo, hi;
        fc_split(tiles, fc_thread_num(), fc_num_threads(), &lo, &hi);
        for (int64_t i0 = 0; i0 < p->n; i0 += group) {
            const int64_t m = fc_min64(group, p->n - i0);
#pragma omp for schedule(static)
            for (int64_t i = 0; i < m; i++) {
                db_pack_image(p, x + (i0 + i) * p->c_in * p->h * p->w, xb + i * xb_n);
                dwb_pack_dy(p, dy + (i0 + i) * C * P, dyt + i * dy_n);
            }
            for (int64_t i = 0; i < m; i++)
                for (int64_t t = lo; t < hi; t++)
                    dwb_task(p, xb + i * xb_n, dyt + i * dy_n, sum, t / cbs, t % cbs,
                             i0 + i == 0);
#pragma omp barrier
        }
        fc_split(C, fc_thread_num(), fc_num_threads(), &lo, &hi);
        dwb_store(p, sum, dw, lo, hi);
    }
    fc_scratch_put(sum);
    return FC_OK;
}

int fc_conv2d_wgrad_direct_blocked_s2_avx512_f32(const fc_conv2d_params *p, const float *x,
                                                 const float *dy, float *dw, int nthreads)
{
    return dwb_backward_weight(p, x, dy, dw, nthreads);
}

int fc_conv2d_wgrad_direct_avx512_f32(const fc_conv2d_params *p, const float *x,
                                      const float *dy, float *dw, int nthreads)
{
    const int64_t C = p->c_out, P = p->oh * p->ow, cb_n = C / 16;
    float *dyt = (float *)fc_scratch_get(p->n * P * C * (int64_t)sizeof(float));
    if (!dyt)
        return FC_ENOMEM;
    const int nt = dc_threads(p, p->c_in * cb_n, nthreads);
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

#else /* not x86 with GCC/clang: never chosen (the ISA is generic there) */
int fc_conv2d_forward_direct_avx512_f32(const fc_conv2d_params *p, const float *x,
                                        const float *w, const float *bias, float *y,
                                        float *pooled, uint8_t *pos, int relu, int nthreads)
{
    (void)p, (void)x, (void)w, (void)bias, (void)y, (void)pooled, (void)pos, (void)relu;
    (void)nthreads;
    return FC_EINVAL;
}

int fc_conv2d_forward_direct_rows_avx512_f32(const fc_conv2d_params *p, const float *x,
                                             const float *w, const float *bias, float *y,
                                             float *pooled, uint8_t *pos, int relu,
                                             int nthreads)
{
    (void)p, (void)x, (void)w, (void)bias, (void)y, (void)pooled, (void)pos, (void)relu;
    (void)nthreads;
    return FC_EINVAL;
}

int fc_conv2d_forward_direct_blocked_s2_avx512_f32(const fc_conv2d_params *p, const float *x,
                                                   const float *w, const float *bias,
                                                   float *y, int relu, int nthreads)
{
    (void)p, (void)x, (void)w, (void)bias, (void)y, (void)relu, (void)nthreads;
    return FC_EINVAL;
}

int fc_conv2d_wgrad_direct_avx512_f32(const fc_conv2d_params *p, const float *x,
                                      const float *dy, float *dw, int nthreads)
{
    (void)p, (void)x, (void)dy, (void)dw, (void)nthreads;
    return FC_EINVAL;
}

int fc_conv2d_wgrad_direct_blocked_s2_avx512_f32(const fc_conv2d_params *p, const float *x,
                                                 const float *dy, float *dw, int nthreads)
{
    (void)p, (void)x, (void)dy, (void)dw, (void)nthreads;
    return FC_EINVAL;
}
#endif
