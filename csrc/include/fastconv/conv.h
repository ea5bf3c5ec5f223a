/*
 * fastconv/conv.h - 2-D convolution (cross-correlation, as in PyTorch), its gradients and
 * its fused epilogues (conventions: see fastconv.h).
 *
 * Each pass has several algorithms; one chooser (fc_conv2d_algorithm) picks one per call
 * from the geometry, the element type and the capability record (fastconv/core.h), and
 * the entry points run what it picks. Each algorithm rounds its sums its own way, so the
 * chooser's answer fixes the bits of the result; it never depends on nthreads.
 */
#ifndef FASTCONV_CONV_H
#define FASTCONV_CONV_H

#include "fastconv/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FC_ENOSYS 2  /* fc_conv2d_relu_pool2x2 on a layer no fused kernel covers */

/*
 * Geometry of one 2-D convolution.
 *   x: (n, c_in, h, w)   w: (c_out, c_in / groups, kh, kw)   y: (n, c_out, oh, ow)
 *   pad_h / pad_w are the top / left padding; bottom / right padding is implied by
 *   oh / ow (so asymmetric 'same' padding is expressible):
 *   oh = (h + pad_top + pad_bottom - dil_h * (kh - 1) - 1) / stride_h + 1.
 *   Kernels bounds-check every input coordinate, so any oh/ow >= 1 is safe: taps that
 *   fall outside the input read as zero.
 */
typedef struct {
    int64_t n, c_in, h, w;
    int64_t c_out, kh, kw;
    int64_t oh, ow;
    int64_t stride_h, stride_w;
    int64_t pad_h, pad_w;
    int64_t dil_h, dil_w;
    int64_t groups;
} fc_conv2d_params;

/* The passes of a convolution, and the algorithms that run them. */
typedef enum {
    FC_CONV_FORWARD = 0,      /* y from x and w */
    FC_CONV_DATA = 1,         /* dx from dy and w */
    FC_CONV_WEIGHT = 2,       /* dw from x and dy */
    FC_CONV_RELU_POOL2X2 = 3  /* the forward with ReLU and a 2x2 max pool fused */
} fc_conv2d_pass;

typedef enum {
    /* GEMM micro-kernels reading the input in place (a padded or phase-split copy) or
     * packing im2col panels on the fly; the data gradient at stride 1 as the forward of
     * dy with rotated weights. Every geometry, float and double. */
    FC_CONV_IMPLICIT_GEMM = 0,
    /* data gradient at stride > 1: GEMM into columns, then col2im. */
    FC_CONV_GEMM_COL2IM = 1,
    /* Winograd F(2x2, 3x3): 3x3 stride-1 layers with 32 to 256 channels and outputs of
     * 8x8 or more (16x16 for the weight gradient); switched by caps.winograd. */
    FC_CONV_WINOGRAD = 2,
    /* Direct AVX-512 float kernels (caps.direct, isa avx512): 16 output channels per
     * vector, stride 1 or 2 (forward; fused pool and weight gradient: plain 3x3/5x5). */
    FC_CONV_DIRECT = 3,
    /* the same for stride-2 3x3 layers with c_in % 16 == 0, channel-blocked. */
    FC_CONV_DIRECT_BLOCKED_S2 = 4,
    /* the same vectorised along output rows, for c_out <= 6 (LeNet's conv1). */
    FC_CONV_DIRECT_ROWS = 5,
    /* weight gradient with <= 32 taps per output channel, AVX2 or AVX-512, float. */
    FC_CONV_DIRECT_FEW_TAPS = 6,
    /* FC_CONV_RELU_POOL2X2 only: no fused kernel; the caller runs the forward with
     * relu = 1, then fc_max_pool2x2_forward (the same results). */
    FC_CONV_UNFUSED = 7
} fc_conv2d_algo;

/*
 * The algorithm the entry point of `pass` runs on this geometry and element type under
 * the capability record now. Any geometry, even an empty batch, is a valid question.
 */
fc_conv2d_algo fc_conv2d_algorithm(const fc_conv2d_params *p, fc_conv2d_pass pass,
                                   fc_dtype dt);
/* "implicit_gemm", "gemm_col2im", "winograd", "direct", "direct_blocked_s2",
 * "direct_rows", "direct_few_taps" or "unfused". */
const char *fc_conv2d_algorithm_name(fc_conv2d_algo algo);

/* y = conv(x, w) + bias (bias may be NULL); relu != 0 applies max(0, .) in the store. */
int fc_conv2d_forward(fc_dtype dt, const fc_conv2d_params *p, const void *x, const void *w,
                      const void *bias, void *y, int relu, int nthreads);

/* dx = gradient of the loss with respect to x, given dy. Overwrites dx. */
int fc_conv2d_backward_data(fc_dtype dt, const fc_conv2d_params *p, const void *dy,
                            const void *w, void *dx, int nthreads);

/* dw = gradient with respect to the weight, given x and dy. Overwrites dw (zeros for an
 * empty batch). */
int fc_conv2d_backward_weight(fc_dtype dt, const fc_conv2d_params *p, const void *x,
                              const void *dy, void *dw, int nthreads);

/* db[c] = sum of dy over (n, oh, ow). Overwrites db (zeros for an empty batch). */
void fc_conv2d_backward_bias(fc_dtype dt, const fc_conv2d_params *p, const void *dy,
                             void *db, int nthreads);

/*
 * ReLU and a 2x2 stride-2 max pool fused into the forward (output rows and columns past
 * the last full window dropped, as floor mode does): pooled and pos as
 * fc_max_pool2x2_forward gives them from fc_conv2d_forward's output with relu = 1,
 * without writing the conv output. FC_ENOSYS, writing nothing, where the chooser says
 * FC_CONV_UNFUSED (then the caller makes the two calls).
 */
int fc_conv2d_relu_pool2x2(fc_dtype dt, const fc_conv2d_params *p, const void *x,
                           const void *w, const void *bias, void *pooled, uint8_t *pos,
                           int nthreads);

#ifdef __cplusplus
}
#endif
#endif /* FASTCONV_CONV_H */
