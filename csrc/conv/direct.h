/*
 * conv/direct.h - what the direct float convolution kernels (conv/direct_*.c) share.
 *
 * Those kernels compute small layers (LeNet's, ResNet's downsampling) directly on
 * AVX-512F, without the GEMM engine: output channels (or output columns) fill the
 * vector lanes, every sum runs over the taps in (ci, ky, kx) order with FMA from zero,
 * then bias and ReLU as the GEMM epilogue applies them (t + bias, then max(0, t): NaN and
 * -0 pass). Tasks split images and channel blocks, never a sum, so no result depends on
 * the thread count. The chooser (conv/conv.c) calls them only where the ISA is avx512;
 * their *_covers predicates (plain C) say which layers each one computes.
 *
 *   direct_forward.c            the forward, 16 output channels per vector (dc_*)
 *   direct_rows.c               the forward for few channels or taps, along output rows (rv_*)
 *   direct_blocked_s2.c         the stride-2 3x3 forward, channel-blocked (db_*)
 *   direct_wgrad.c              the weight gradient of plain 3x3 and 5x5 layers
 *   direct_wgrad_blocked_s2.c   the stride-2 3x3 weight gradient, channel-blocked (dwb_*)
 *   direct_common.c             padded and channel-blocked copies, packed weights, tiles
 */
#ifndef FC_CONV_DIRECT_H
#define FC_CONV_DIRECT_H

#include <stdint.h>

#include "conv/conv_internal.h"
#include "core/internal.h"

#define DC_MAX_COLS 12
#define DC_MAX_ROWS 4
#define DC_SHORT_RUN 7   /* runs this short go 4 rows at a time (28 sums) */

/* Threads for a call of `tasks` independent tasks (a plan): one below
   FC_CONV_PARALLEL_MIN multiply-adds, else at most one per task. */
static inline int dc_threads(const fc_conv2d_params *p, int64_t tasks, int nthreads)
{
    const int64_t macs =
        p->n * p->c_out * p->c_in / p->groups * p->kh * p->kw * p->oh * p->ow;
    if (nthreads < 1 || macs < FC_CONV_PARALLEL_MIN)
        return 1;
    return (int)fc_max64(1, fc_min64(nthreads, tasks));
}

/* Layers the wide-channel forward computes: stride 1 or 2 (the same both ways), zero
   padding below the kernel size, no dilation, one group, c_out a multiple of 16. */
static inline int dc_covers(const fc_conv2d_params *p)
{
    return p->stride_h == p->stride_w && (p->stride_h == 1 ||
           p->stride_h == 2) && p->pad_h >= 0 && p->pad_h < p->kh && p->pad_w >= 0 &&
           p->pad_w < p->kw && p->dil_h == 1 && p->dil_w == 1 && p->groups == 1 &&
           p->c_out % 16 == 0 && p->oh >= 1 && p->ow >= 1 && p->kh * p->kw >= 9 &&
           p->oh * p->ow <= ((int64_t)1 << 26);
}

/* The unpadded stride-1 layers with 16 or 32 output channels (LeNet's conv2): the fused
   pool and the weight gradient cover these only. */
static inline int dc_plain(const fc_conv2d_params *p)
{
    return dc_covers(p) && p->stride_h == 1 && p->pad_h == 0 && p->pad_w == 0 &&
           p->c_out <= 32 && p->oh == p->h - p->kh + 1 && p->ow == p->w - p->kw + 1;
}

/* Padded rows and columns the taps read: (oh - 1) * S + kh by (ow - 1) * S + kw. */
static inline int64_t dc_padded_h(const fc_conv2d_params *p)
{
    return (p->oh - 1) * p->stride_h + p->kh;
}

static inline int64_t dc_padded_w(const fc_conv2d_params *p)
{
    return (p->ow - 1) * p->stride_w + p->kw;
}

/* Whether the taps read outside the input (then they read a zero-padded copy). */
static inline int dc_needs_copy(const fc_conv2d_params *p)
{
    return p->pad_h > 0 || p->pad_w > 0 || dc_padded_h(p) > p->h || dc_padded_w(p) > p->w;
}

/* xq = image xn in a zero-padded frame of dc_padded_h x dc_padded_w per channel. */
void fc_direct_pad_image(const fc_conv2d_params *p, const float *xn, float *xq);

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define FC_DIRECT_X86 1
#include <immintrin.h>

#define DC_INLINE __attribute__((target("avx512f"), always_inline)) static inline
#define DC_AVX512 __attribute__((target("avx512f")))

/* Where a block's results go: conv output planes y (rv_*) or pixel vectors
   tile[pixel][16] (dc_*, then fc_direct_tile_out), or (pooled != NULL) 2x2 stride-2 max-pool
   planes and window positions; each points at the block's first channel. */
typedef struct {
    float *y, *pooled;
    uint8_t *pos;
    float *tile;
} dc_out;

/* The input a block reads: channel planes of ps floats, rows of rs floats, already
   padded (tap (ky, kx) of output pixel (oy, ox) is row oy * S + ky, column ox * S + kx). */
typedef struct {
    const float *x;
    int64_t rs, ps;
} dc_in;

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

/* wq[cb][k][l] = w[cb * lanes + l][k], k = (ci, ky, kx): blocks of lanes (16 or 32)
   channels in turn, shared among the threads of the enclosing parallel region (an
   orphaned omp for). */
void fc_direct_pack_weights(const fc_conv2d_params *p, const float *w, float *wq,
                            int64_t lanes);
/* y[l][pixel] = tile[pixel][l] for the 16 planes of a block. */
void fc_direct_tile_out(const fc_conv2d_params *p, const float *tile, float *y);
/* xb[cb][r][c][l] = input channel cb * 16 + l at padded row r, column c of image xn (zero
   outside it): the channel-blocked frame of the stride-2 kernels. */
void fc_direct_pack_blocked(const fc_conv2d_params *p, const float *xn, float *xb);
#else
#define FC_DIRECT_X86 0
#endif

#endif /* FC_CONV_DIRECT_H */
