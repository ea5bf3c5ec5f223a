/*
 * fastconv.h - the whole C API of fastconv's native kernels.
 *
 * Conventions
 *   - Arrays are C-contiguous, NCHW for images, (C_out, C_in/groups, KH, KW) for
 *     convolution weights, row-major for matrices.
 *   - Sizes and indices are int64_t. Callers (the Cython layer) have validated every
 *     argument; kernels do not re-check shapes.
 *   - Every kernel takes `nthreads`, the number of OpenMP threads it may use (>= 1).
 *     Each op opens at most one OpenMP parallel region. Tiny ops run serially.
 *   - Functions that allocate scratch memory return 0 on success and FC_ENOMEM when
 *     an allocation failed (the caller raises MemoryError); the others return void.
 *   - Each op exists for float (suffix _f32) and double (suffix _f64).
 *   - Results do not depend on nthreads: every output element is reduced in a fixed
 *     order whatever the thread split.
 */
#ifndef FASTCONV_H
#define FASTCONV_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FC_OK 0
#define FC_ENOMEM 1
#define FC_ENOSYS 2  /* not implemented (placeholder builds only) */

/* ---------------------------------------------------------------- runtime */

/* _OPENMP of the build (e.g. 201511), 0 when built without OpenMP. */
int fc_openmp_version(void);
/* The compiler that built the kernels, e.g. "GCC 12.2.0". */
const char *fc_compiler(void);
/* omp_get_max_threads() (honours OMP_NUM_THREADS and threadpoolctl), 1 without OpenMP. */
int fc_omp_max_threads(void);
/* 1 when this CPU supports AVX2 and FMA (checked at run time). */
int fc_cpu_has_avx2_fma(void);
/* Name of the GEMM micro-kernel chosen at run time, e.g. "avx2-fma 6x16" or "generic". */
const char *fc_gemm_kernel_name(void);

/* ---------------------------------------------------------------- gemm */

/*
 * C = alpha * op(A) @ op(B) + beta * C, row-major.
 *   op(A) is m x k: A is m x k (lda >= k) or, with trans_a, k x m (lda >= m).
 *   op(B) is k x n: B is k x n (ldb >= n) or, with trans_b, n x k (ldb >= k).
 *   C is m x n with ldc >= n. beta == 0 overwrites C without reading it (NaN-safe).
 */
int fc_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                float beta, float *c, int64_t ldc, int nthreads);
int fc_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                double alpha, const double *a, int64_t lda, const double *b, int64_t ldb,
                double beta, double *c, int64_t ldc, int nthreads);

/* ---------------------------------------------------------------- conv2d */

/*
 * Geometry of one 2-D convolution (cross-correlation, as in PyTorch).
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
int fc_conv2d_forward_f32(const fc_conv2d_params *p, const float *x, const float *w,
                          const float *bias, float *y, int relu, int nthreads);
int fc_conv2d_forward_f64(const fc_conv2d_params *p, const double *x, const double *w,
                          const double *bias, double *y, int relu, int nthreads);

/* dx = gradient of the loss with respect to x, given dy. Overwrites dx. */
int fc_conv2d_backward_data_f32(const fc_conv2d_params *p, const float *dy,
                                const float *w, float *dx, int nthreads);
int fc_conv2d_backward_data_f64(const fc_conv2d_params *p, const double *dy,
                                const double *w, double *dx, int nthreads);

/* dw = gradient with respect to the weight, given x and dy. Overwrites dw. */
int fc_conv2d_backward_weight_f32(const fc_conv2d_params *p, const float *x,
                                  const float *dy, float *dw, int nthreads);
int fc_conv2d_backward_weight_f64(const fc_conv2d_params *p, const double *x,
                                  const double *dy, double *dw, int nthreads);

/*
 * 1 when the pass (0 forward, 1 data gradient, 2 weight gradient) of this geometry runs
 * on Winograd F(2x2, 3x3) instead of implicit GEMM (3x3 stride-1 layers with enough
 * channels); lets tests and benchmarks know which algorithm they exercise.
 */
int fc_conv2d_uses_winograd(const fc_conv2d_params *p, int pass);
/* Allows (enabled != 0, the default) or forbids Winograd for all later calls; returns the
 * previous setting. For tests and benchmarks that compare the two algorithms. */
int fc_conv2d_set_winograd(int enabled);

/* db[c] = sum of dy over (n, oh, ow). Overwrites db. */
void fc_conv2d_backward_bias_f32(const fc_conv2d_params *p, const float *dy, float *db,
                                 int nthreads);
void fc_conv2d_backward_bias_f64(const fc_conv2d_params *p, const double *dy, double *db,
                                 int nthreads);

/*
 * The forward of small float layers computed directly on AVX-512F (conv_direct.c): layers
 * whose output channels fill 16-wide vectors (stride 1, no padding or dilation, one group,
 * c_out 16 or 32, >= 9 taps), and layers with few output channels and short rows (stride
 * 1, no dilation, one group, c_out <= 6, c_in*kh*kw <= 64, ow <= 32, oh >= 2, any
 * padding). Returns FC_ENOSYS, writing nothing, where neither applies: then use
 * fc_conv2d_forward_f32.
 */
int fc_conv2d_forward_direct_f32(const fc_conv2d_params *p, const float *x, const float *w,
                                 const float *bias, float *y, int relu, int nthreads);
/* The same layers with ReLU and a 2x2 stride-2 max pool fused (output rows and columns
 * past the last full window dropped, as floor mode does): pooled and pos as
 * fc_max_pool2x2_forward_f32 gives them from fc_conv2d_forward_direct_f32's output with
 * relu = 1, without writing the conv output. FC_ENOSYS where the direct kernel does not
 * apply or the conv output is smaller than 2x2. */
int fc_conv2d_relu_pool2x2_direct_f32(const fc_conv2d_params *p, const float *x,
                                      const float *w, const float *bias, float *pooled,
                                      uint8_t *pos, int nthreads);
/* Its weight gradient, for 3x3 and 5x5 kernels (else FC_ENOSYS, writing nothing). */
int fc_conv2d_backward_weight_direct_f32(const fc_conv2d_params *p, const float *x,
                                         const float *dy, float *dw, int nthreads);

/* ---------------------------------------------------------------- max_pool2d */

/*
 * Geometry of one 2-D max pooling over (n, c, h, w) -> (n, c, oh, ow).
 * pad_h / pad_w: implicit -inf padding on each side; oh / ow already include ceil_mode.
 */
typedef struct {
    int64_t n, c, h, w;
    int64_t oh, ow;
    int64_t kh, kw;
    int64_t stride_h, stride_w;
    int64_t pad_h, pad_w;
    int64_t dil_h, dil_w;
} fc_pool2d_params;

/*
 * y = window maximum; idx = flat index (row * w + col) of the maximum inside its
 * (h, w) input plane, as PyTorch returns it. NaN propagates (a NaN wins the window).
 * idx may be NULL when the caller needs no indices. Every idx written lies in
 * [0, h*w), even for a window that holds only padding (then y is -inf and idx points
 * at the input element nearest to the window's start).
 */
void fc_max_pool2d_forward_f32(const fc_pool2d_params *p, const float *x, float *y,
                               int64_t *idx, int nthreads);
void fc_max_pool2d_forward_f64(const fc_pool2d_params *p, const double *x, double *y,
                               int64_t *idx, int nthreads);

/* dx = scatter-add of dy into the argmax positions. Overwrites dx. */
void fc_max_pool2d_backward_f32(const fc_pool2d_params *p, const float *dy,
                                const int64_t *idx, float *dx, int nthreads);
void fc_max_pool2d_backward_f64(const fc_pool2d_params *p, const double *dy,
                                const int64_t *idx, double *dx, int nthreads);

/*
 * 2x2 windows, stride 2, no padding or dilation, floor mode (oh = h / 2, ow = w / 2):
 * y as fc_max_pool2d_forward, pos = each winner's place in its window (row * 2 + col,
 * 0..3) instead of a flat index. The backward writes all of dx: (y > 0 ? dy : 0) + 0 at
 * each winner (the ReLU mask of the pooled output), +0 elsewhere; a pos above 3 routes
 * nowhere. Bit-identical to relu_backward(dy, y) then fc_max_pool2d_backward.
 */
void fc_max_pool2x2_forward_f32(const fc_pool2d_params *p, const float *x, float *y,
                                uint8_t *pos, int nthreads);
void fc_max_pool2x2_forward_f64(const fc_pool2d_params *p, const double *x, double *y,
                                uint8_t *pos, int nthreads);
void fc_max_pool2x2_relu_backward_f32(const fc_pool2d_params *p, const float *dy,
                                      const float *y, const uint8_t *pos, float *dx,
                                      int nthreads);
void fc_max_pool2x2_relu_backward_f64(const fc_pool2d_params *p, const double *dy,
                                      const double *y, const uint8_t *pos, double *dx,
                                      int nthreads);

/* ---------------------------------------------------------------- relu */

/* y = max(x, 0) (NaN stays NaN); y may alias x. */
void fc_relu_forward_f32(int64_t size, const float *x, float *y, int nthreads);
void fc_relu_forward_f64(int64_t size, const double *x, double *y, int nthreads);

/* dx = dy where y > 0 else 0, with y the forward output; dx may alias dy. */
void fc_relu_backward_f32(int64_t size, const float *dy, const float *y, float *dx,
                          int nthreads);
void fc_relu_backward_f64(int64_t size, const double *dy, const double *y, double *dx,
                          int nthreads);

/* ---------------------------------------------------------------- losses */

/* Index of the first of n targets outside [0, classes) and not `ignore`; -1 if none. */
int64_t fc_class_target_error(int64_t n, const int64_t *t, int64_t classes, int64_t ignore);

/*
 * Cross entropy of scores x (n x c) against targets t (validated; `ignore` rows count
 * nothing): logp = log_softmax(x) per row (max-shifted, sum of exps in double); returns
 * the sum over kept rows of -logp[i][t[i]] (double) and their number in *count.
 * Backward: dx = (exp(logp) - onehot(t)) * ((grad * keep) / denom), keep = t != ignore,
 * denom the kept count for a mean, 1 for a sum.
 */
double fc_cross_entropy_forward_f32(int64_t n, int64_t c, const float *x, const int64_t *t,
                                    int64_t ignore, float *logp, int64_t *count);
double fc_cross_entropy_forward_f64(int64_t n, int64_t c, const double *x, const int64_t *t,
                                    int64_t ignore, double *logp, int64_t *count);
void fc_cross_entropy_backward_f32(int64_t n, int64_t c, const float *logp, const int64_t *t,
                                   int64_t ignore, float grad, float denom, float *dx);
void fc_cross_entropy_backward_f64(int64_t n, int64_t c, const double *logp,
                                   const int64_t *t, int64_t ignore, double grad,
                                   double denom, double *dx);

/* ---------------------------------------------------------------- optimizers */

/* SGD step of one parameter p (size elements) with gradient g: with a momentum buffer
 * buf, buf = g on the first step (first != 0) else buf * momentum + g, then
 * p -= buf * lr; with buf NULL, p -= g * lr. Each operation rounded to the type. */
void fc_sgd_update_f32(int64_t size, float *p, const float *g, float *buf, float lr,
                       float momentum, int first);
void fc_sgd_update_f64(int64_t size, double *p, const double *g, double *buf, double lr,
                       double momentum, int first);

#ifdef __cplusplus
}
#endif
#endif /* FASTCONV_H */
