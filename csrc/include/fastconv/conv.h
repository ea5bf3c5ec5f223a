/*
 * fastconv/conv.h - 2-D convolution (cross-correlation, as in PyTorch), its gradients and
 * its fused epilogues (conventions: see fastconv.h).
 */
#ifndef FASTCONV_CONV_H
#define FASTCONV_CONV_H

#include "fastconv/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FC_ENOSYS 2  /* no kernel covers this call (fc_conv2d_relu_pool2x2) */

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

/* y = conv(x, w) + bias (bias may be NULL); relu != 0 applies max(0, .) in the store. */
int fc_conv2d_forward(fc_dtype dt, const fc_conv2d_params *p, const void *x, const void *w,
                      const void *bias, void *y, int relu, int nthreads);

/* dx = gradient of the loss with respect to x, given dy. Overwrites dx. */
int fc_conv2d_backward_data(fc_dtype dt, const fc_conv2d_params *p, const void *dy,
                            const void *w, void *dx, int nthreads);

/* dw = gradient with respect to the weight, given x and dy. Overwrites dw. */
int fc_conv2d_backward_weight(fc_dtype dt, const fc_conv2d_params *p, const void *x,
                              const void *dy, void *dw, int nthreads);

/* db[c] = sum of dy over (n, oh, ow). Overwrites db. */
void fc_conv2d_backward_bias(fc_dtype dt, const fc_conv2d_params *p, const void *dy,
                             void *db, int nthreads);

/*
 * ReLU and a 2x2 stride-2 max pool fused into the forward (output rows and columns past
 * the last full window dropped, as floor mode does): pooled and pos as
 * fc_max_pool2x2_forward gives them from fc_conv2d_forward's output with relu = 1,
 * without writing the conv output. FC_ENOSYS, writing nothing, where no fused kernel
 * covers the layer (then the caller makes the two calls).
 */
int fc_conv2d_relu_pool2x2(fc_dtype dt, const fc_conv2d_params *p, const void *x,
                           const void *w, const void *bias, void *pooled, uint8_t *pos,
                           int nthreads);

/*
 * 1 when the pass (0 forward, 1 data gradient, 2 weight gradient) of this geometry runs
 * on Winograd F(2x2, 3x3) instead of implicit GEMM (3x3 stride-1 layers with enough
 * channels); lets tests and benchmarks know which algorithm they exercise.
 */
int fc_conv2d_uses_winograd(const fc_conv2d_params *p, int pass);
/* Allows (enabled != 0, the default) or forbids Winograd for all later calls; returns the
 * previous setting. For tests and benchmarks that compare the two algorithms. */
int fc_conv2d_set_winograd(int enabled);

#ifdef __cplusplus
}
#endif
#endif /* FASTCONV_CONV_H */
