/*
 * conv/winograd.h - Winograd F(2x2, 3x3) convolution (Lavin & Gray, "Fast Algorithms for
 * Convolutional Neural Networks"), used by conv.c for 3x3 stride-1 layers with enough
 * channels (fc_conv2d_winograd). Internal: the public entry points stay in fastconv.h.
 *
 * Each 2x2 block ("tile") of outputs is computed from a 4x4 block of input as
 *   Y = A^T [ (G g G^T) (.) (B^T d B) ] A
 * so the 36 multiply-adds per tile and channel pair become 16: the 16 element-wise
 * products, summed over input channels, are 16 independent GEMMs
 *   M[xi] (C_out x tiles) = U[xi] (C_out x C_in) @ V[xi] (C_in x tiles)
 * that run on the GEMM engine (gemm_internal.h). The weight gradient uses the same
 * transforms: dU[xi] = dM[xi] @ V[xi]^T with dM = A dY A^T, then dg = G^T dU G.
 */
#ifndef FC_WINOGRAD_H
#define FC_WINOGRAD_H

#include "fastconv/conv.h"

/* 1 when a forward convolution of this geometry runs on Winograd (3x3, stride 1, no
 * dilation, one group, enough channels and outputs to repay the transforms). */
int fc_winograd_applies(const fc_conv2d_params *p);
/* The same for the weight gradient (which needs larger planes to gain). */
int fc_winograd_applies_weight(const fc_conv2d_params *p);

/* y = conv(x, w) + bias (+ ReLU) for a geometry where fc_conv2d_winograd(p) holds. */
int fc_winograd_forward_f32(const fc_conv2d_params *p, const float *x, const float *w,
                            const float *bias, float *y, int relu, int nthreads);
int fc_winograd_forward_f64(const fc_conv2d_params *p, const double *x, const double *w,
                            const double *bias, double *y, int relu, int nthreads);

/* dw = weight gradient for a geometry where fc_conv2d_winograd(p) holds. */
int fc_winograd_backward_weight_f32(const fc_conv2d_params *p, const float *x,
                                    const float *dy, float *dw, int nthreads);
int fc_winograd_backward_weight_f64(const fc_conv2d_params *p, const double *x,
                                    const double *dy, double *dw, int nthreads);

#endif /* FC_WINOGRAD_H */
