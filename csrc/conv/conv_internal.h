/*
 * conv/conv_internal.h - the convolution family's typed kernels, behind the
 * dtype-generic entry points of fastconv/conv.h (conv/conv.c). Each has the semantics of
 * its entry point for one element type; the direct float kernels (conv_direct.c) return
 * FC_ENOSYS, writing nothing, for layers they do not cover.
 */
#ifndef FC_CONV_INTERNAL_H
#define FC_CONV_INTERNAL_H

#include <stdint.h>

#include "fastconv/conv.h"

#define FC_DECLARE_CONV(T, SFX)                                                            \
    int fc_conv2d_forward_##SFX(const fc_conv2d_params *p, const T *x, const T *w,          \
                                const T *bias, T *y, int relu, int nthreads);               \
    int fc_conv2d_backward_data_##SFX(const fc_conv2d_params *p, const T *dy, const T *w,   \
                                      T *dx, int nthreads);                                 \
    int fc_conv2d_backward_weight_##SFX(const fc_conv2d_params *p, const T *x, const T *dy, \
                                        T *dw, int nthreads);                               \
    void fc_conv2d_backward_bias_##SFX(const fc_conv2d_params *p, const T *dy, T *db,       \
                                       int nthreads);

FC_DECLARE_CONV(float, f32)
FC_DECLARE_CONV(double, f64)

/*
 * The forward of small float layers computed directly on AVX-512F (conv_direct.c): layers
 * whose output channels fill 16-wide vectors (stride 1, no padding or dilation, one group,
 * c_out 16 or 32, >= 9 taps), and layers with few output channels and short rows (stride
 * 1, no dilation, one group, c_out <= 6, c_in*kh*kw <= 64, ow <= 32, oh >= 2, any
 * padding). Returns FC_ENOSYS, writing nothing, where neither applies.
 */
int fc_conv2d_forward_direct_f32(const fc_conv2d_params *p, const float *x, const float *w,
                                 const float *bias, float *y, int relu, int nthreads);
/* The same layers with ReLU and a 2x2 stride-2 max pool fused (fc_conv2d_relu_pool2x2).
 * FC_ENOSYS where the direct kernel does not apply or the conv output is smaller than
 * 2x2. */
int fc_conv2d_relu_pool2x2_direct_f32(const fc_conv2d_params *p, const float *x,
                                      const float *w, const float *bias, float *pooled,
                                      uint8_t *pos, int nthreads);
/* Its weight gradient, for 3x3 and 5x5 kernels (else FC_ENOSYS, writing nothing). */
int fc_conv2d_backward_weight_direct_f32(const fc_conv2d_params *p, const float *x,
                                         const float *dy, float *dw, int nthreads);

#endif /* FC_CONV_INTERNAL_H */
