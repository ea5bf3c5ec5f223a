/*
 * fastconv/act.h - activations (conventions: see fastconv.h).
 */
#ifndef FASTCONV_ACT_H
#define FASTCONV_ACT_H

#include "fastconv/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* y = max(x, 0) (NaN stays NaN); y may alias x. */
void fc_relu_forward(fc_dtype dt, int64_t size, const void *x, void *y, int nthreads);

/* y = max(a + b, 0) (NaN stays NaN) in one pass; y may alias a or b. Its backward is
   fc_relu_backward's, for both inputs. */
void fc_add_relu_forward(fc_dtype dt, int64_t size, const void *a, const void *b, void *y,
                         int nthreads);

/* dx = dy where y > 0 else 0, with y the forward output; dx may alias dy. */
void fc_relu_backward(fc_dtype dt, int64_t size, const void *dy, const void *y, void *dx,
                      int nthreads);

/*
 * Pointwise activations, one kind code each, with PyTorch's definitions and NaN behaviour
 * (a NaN input gives a NaN output). p0, p1 are the kind's parameters (others ignored):
 *
 *   kind                 y = f(x)                                       backward reads
 *   FC_ACT_LEAKY_RELU    x > 0 ? x : p0 * x           (p0 negative_slope)     x
 *   FC_ACT_ELU           x <= 0 ? p0 * (exp(x) - 1) : x     (p0 alpha)   y if p0 >= 0, else x
 *   FC_ACT_GELU          x * Phi(x), Phi the standard normal CDF                x
 *   FC_ACT_GELU_TANH     0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))        x
 *   FC_ACT_SILU          x * sigmoid(x)                                         x
 *   FC_ACT_SIGMOID       1 / (1 + exp(-x))                                      y
 *   FC_ACT_TANH          tanh(x)                                                y
 *   FC_ACT_SOFTPLUS      p0 x > p1 ? x : log(1 + exp(p0 x)) / p0  (p0 beta, p1 threshold)  x
 *   FC_ACT_HARDTANH      min(max(x, p0), p1)          (p0 min_val, p1 max_val)  y
 *   FC_ACT_HARDSWISH     x * min(max(x + 3, 0), 6) / 6                          x
 *   FC_ACT_HARDSIGMOID   min(max(x + 3, 0), 6) / 6                              x
 *   FC_ACT_MISH          x * tanh(log(1 + exp(x)))                              x
 *
 * The gradients are PyTorch's (its vectorised kernels'), kinks and NaN included: leaky_relu
 * p0 at x <= 0 and NaN, elu 1 at x > 0 only (NaN at NaN), hardtanh 1 only where p0 < x < p1
 * (0 at NaN), hardswish 0 at x <= -3 and 1 at x >= 3 (NaN at NaN), hardsigmoid 1/6 on
 * (-3, 3) only (0 at NaN), softplus 1 where p0 x > p1.
 * float computes exp, expm1, log1p, tanh and erfc with vectorisable polynomials (a few
 * ulps; fused multiply-adds where the CPU has FMA, so results may differ by an ulp
 * between CPUs with and without it); double calls libm. Each element is computed
 * alone: results never depend on nthreads.
 */
typedef enum {
    FC_ACT_LEAKY_RELU = 0,
    FC_ACT_ELU = 1,
    FC_ACT_GELU = 2,
    FC_ACT_GELU_TANH = 3,
    FC_ACT_SILU = 4,
    FC_ACT_SIGMOID = 5,
    FC_ACT_TANH = 6,
    FC_ACT_SOFTPLUS = 7,
    FC_ACT_HARDTANH = 8,
    FC_ACT_HARDSWISH = 9,
    FC_ACT_HARDSIGMOID = 10,
    FC_ACT_MISH = 11
} fc_act_kind;

/* y = f(x) for `size` elements; y may alias x. */
void fc_act_forward(fc_dtype dt, fc_act_kind kind, int64_t size, const void *x, void *y,
                    double p0, double p1, int nthreads);

/* dx = dy * f'(x), from src = the array the table says (x or the forward output y);
   dx may alias dy. */
void fc_act_backward(fc_dtype dt, fc_act_kind kind, int64_t size, const void *src,
                     const void *dy, void *dx, double p0, double p1, int nthreads);

#ifdef __cplusplus
}
#endif
#endif /* FASTCONV_ACT_H */
