/*
 * conv/conv_internal.h - the convolution family's kernels behind the entry points of
 * fastconv/conv.h. conv/conv.c chooses one per call (fc_conv2d_choose) and runs it; each
 * kernel below has its entry point's semantics for one element type, on the layers its
 * *_covers predicate accepts, and runs under the instruction set `isa` it is given (the
 * record the chooser read, so one call never mixes two).
 *
 * Kernel names say the contract: fc_conv2d_<pass>_<algorithm>[_<isa>]_<dtype>, pass one
 * of forward, data, wgrad (weight gradient), bias.
 */
#ifndef FC_CONV_INTERNAL_H
#define FC_CONV_INTERNAL_H

#include <stdint.h>

#include "fastconv/conv.h"

/* Below this many multiply-adds a convolution runs on one thread. */
#define FC_CONV_PARALLEL_MIN ((int64_t)1 << 17)

/* ---------------------------------------------------------------- geometry helpers */

/* The padded-input paths need stride 1 and a padded plane not much larger than the
 * input and output planes (a huge dilation or padding falls back to im2col). */
static inline int fc_conv_use_padded(const fc_conv2d_params *p)
{
    const int64_t hp = p->oh + (p->kh - 1) * p->dil_h, wp = p->ow + (p->kw - 1) * p->dil_w;
    return p->stride_h == 1 && p->stride_w == 1 &&
           hp * wp <= 4 * (p->h * p->w + p->oh * p->ow) + 4096;
}

/*
 * Strides > 1 run on the same principle after splitting the zero-padded input into
 * sh*sw phase planes of hq x wq (hq = oh + (kh-1)*dh/sh, wq = ow + (kw-1)*dw/sw):
 * phase (py, px) holds padded rows r*sh + py and columns c*sw + px. Output pixel
 * (oy, ox) of tap (ky, kx) is then element (oy + ky*dh/sh, ox + kx*dw/sw) of phase
 * ((ky*dh) % sh, (kx*dw) % sw): with output columns numbered j = oy*wq + ox each im2col
 * row is again one contiguous slice, read in place by the micro-kernel (no im2col).
 */
static inline int fc_conv_use_phased(const fc_conv2d_params *p)
{
    const int64_t sh = p->stride_h, sw = p->stride_w;
    if (sh == 1 && sw == 1)
        return fc_conv_use_padded(p);
    const int64_t hq = p->oh + ((p->kh - 1) * p->dil_h) / sh;
    const int64_t wq = p->ow + ((p->kw - 1) * p->dil_w) / sw;
    return sh <= 4 && sw <= 4 &&
           sh * sw * hq * wq <= 4 * (p->h * p->w + p->oh * p->ow) + 4096;
}

static inline int fc_conv_is_pointwise(const fc_conv2d_params *p)
{
    return p->kh == 1 && p->kw == 1 && p->stride_h == 1 && p->stride_w == 1 &&
           p->pad_h == 0 && p->pad_w == 0 && p->oh == p->h && p->ow == p->w;
}

/*
 * Geometry of the stride-1 data gradient as a forward convolution: dx = conv(dy, W') with
 * W' the rotated, channel-swapped weights and padding dil*(k-1) - pad (maybe negative).
 */
static inline fc_conv2d_params fc_conv_rotated_params(const fc_conv2d_params *p)
{
    fc_conv2d_params q = *p;
    q.c_in = p->c_out;
    q.h = p->oh;
    q.w = p->ow;
    q.c_out = p->c_in;
    q.oh = p->h;
    q.ow = p->w;
    q.pad_h = p->dil_h * (p->kh - 1) - p->pad_h;
    q.pad_w = p->dil_w * (p->kw - 1) - p->pad_w;
    return q;
}

/* ---------------------------------------------------------------- implicit GEMM */

/*
 * conv/conv_gemm.c (forward_gemm_tmpl.h, data_gemm_tmpl.h, wgrad_gemm_tmpl.h) and
 * conv/bias.c: every geometry, float and double.
 *   forward_gemm    implicit GEMM (B read in place from a padded or phase-split copy, or
 *                   im2col while packing)
 *   data_rotated    stride 1: the forward of dy with rotated weights, on Winograd (wino)
 *                   or implicit GEMM
 *   data_col2im     stride > 1: GEMM then col2im
 *   wgrad_gemm      implicit GEMM over image chunks; few_taps (float only, where
 *                   fc_conv2d_wgrad_few_taps_covers) uses the direct few-tap kernel
 *   bias            per-channel sums of dy
 */
#define FC_TMPL "conv/conv_decl_tmpl.h"
#include "core/tmpl.h" /* these and the Winograd kernels below, for float and double */

/* Weight gradients with few taps per output channel (K = c_in/groups*kh*kw <= 32), stride
 * 1, no dilation, output rows of 8 or more, on the padded path: the direct few-tap kernel
 * beats a GEMM whose packing costs more than its multiply-adds (AVX2 and up, float). */
static inline int fc_conv2d_wgrad_few_taps_covers(const fc_conv2d_params *p)
{
    return p->c_in / p->groups * p->kh * p->kw <= 32 && p->ow >= 8 && p->stride_h == 1 &&
           p->stride_w == 1 && p->dil_h == 1 && p->dil_w == 1 && fc_conv_use_padded(p);
}

/*
 * The few-tap weight gradient (conv/wgrad_few_taps.c: AVX2 and AVX-512 side by side):
 *   out[co*ldo + (ci*kh + ky)*kw + kx] = sum over images, oy, ox of
 *       dy[img][co][oy][ox] * xpad[img][ci][oy + ky][ox + kx]
 * for co < m, over nimg images of a zero-padded input (planes hp x wp, xpad_img apart)
 * and dy (dy_img apart). Each sum runs in vector lanes (lane = ox % lanes, the last
 * vector of a row masked), images, rows and vectors in increasing order, then the lanes
 * are added in a fixed tree: the result depends on the shapes and the ISA only.
 * fc_conv2d_wgrad_few_taps_f32 runs the AVX-512 one when isa allows it, else AVX2.
 */
#define FC_FEW_TAPS_ARGS                                                                   \
    const float *xpad, int64_t xpad_img, int64_t hp, int64_t wp, const float *dy,         \
        int64_t dy_img, int64_t nimg, int64_t m, int64_t cin, int64_t kh, int64_t kw,      \
        int64_t oh, int64_t ow, float *out, int64_t ldo
void fc_conv2d_wgrad_few_taps_f32(fc_isa isa, FC_FEW_TAPS_ARGS);
void fc_conv2d_wgrad_few_taps_avx2_f32(FC_FEW_TAPS_ARGS);
void fc_conv2d_wgrad_few_taps_avx512_f32(FC_FEW_TAPS_ARGS);

/* ---------------------------------------------------------------- Winograd */

/* conv/winograd.c: F(2x2, 3x3) and F(2x2, 5x5) forward and weight gradient (see
 * winograd.c for the method; fc_conv2d_forward_winograd_* and fc_conv2d_wgrad_winograd_*
 * are declared above) on 3x3 and 5x5 stride-1 layers with enough channels and outputs. */
int fc_conv2d_winograd_covers(const fc_conv2d_params *p);
/* The weight gradient needs larger planes to gain. */
int fc_conv2d_wgrad_winograd_covers(const fc_conv2d_params *p);

/* ---------------------------------------------------------------- direct (AVX-512F) */

/*
 * conv/direct_*.c (see conv/direct.h): float kernels for small layers, AVX-512F only.
 *   forward_direct             c_out a multiple of 16, stride 1 or 2, padding below the
 *                              kernel size, >= 9 taps: where that measured faster than
 *                              the other algorithms (force: on every such layer)
 *   forward_direct_blocked_s2  stride-2 3x3 with c_in % 16 == 0 and c_out % 32 == 0
 *   forward_direct_rows        short rows with c_out <= 6 (LeNet's conv1), or c_out <= 16
 *                              and <= 32 taps (ResNet-20's conv1)
 *   relu_pool2x2_*             the same forward with ReLU and the 2x2 pool fused (pooled
 *                              != NULL: pooled values and positions instead of y)
 *   wgrad_direct               stride-1 3x3 and 5x5: unpadded with c_out 16 or 32,
 *                              padded with c_out 16 and more than 32 taps
 *   wgrad_direct_blocked_s2    stride-2 3x3 with c_in % 16 == 0
 */
int fc_conv2d_forward_direct_covers(const fc_conv2d_params *p, int force);
int fc_conv2d_forward_direct_blocked_s2_covers(const fc_conv2d_params *p, int force);
int fc_conv2d_forward_direct_rows_covers(const fc_conv2d_params *p);
int fc_conv2d_relu_pool2x2_direct_covers(const fc_conv2d_params *p);
int fc_conv2d_relu_pool2x2_direct_rows_covers(const fc_conv2d_params *p);
int fc_conv2d_wgrad_direct_covers(const fc_conv2d_params *p);
int fc_conv2d_wgrad_direct_blocked_s2_covers(const fc_conv2d_params *p);

int fc_conv2d_forward_direct_avx512_f32(const fc_conv2d_params *p, const float *x,
                                        const float *w, const float *bias, float *y,
                                        float *pooled, uint8_t *pos, int relu,
                                        int nthreads);
int fc_conv2d_forward_direct_rows_avx512_f32(const fc_conv2d_params *p, const float *x,
                                             const float *w, const float *bias, float *y,
                                             float *pooled, uint8_t *pos, int relu,
                                             int nthreads);
int fc_conv2d_forward_direct_blocked_s2_avx512_f32(const fc_conv2d_params *p,
                                                   const float *x, const float *w,
                                                   const float *bias, float *y, int relu,
                                                   int nthreads);
int fc_conv2d_wgrad_direct_avx512_f32(const fc_conv2d_params *p, const float *x,
                                      const float *dy, float *dw, int nthreads);
int fc_conv2d_wgrad_direct_blocked_s2_avx512_f32(const fc_conv2d_params *p, const float *x,
                                                 const float *dy, float *dw, int nthreads);

#endif /* FC_CONV_INTERNAL_H */
