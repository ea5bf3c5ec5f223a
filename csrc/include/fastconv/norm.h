/*
 * fastconv/norm.h - batch normalisation (conventions: see fastconv.h).
 *
 * Arrays are viewed as (n, c, s): n images, c channels, s values per channel and image
 * (s = h * w for NCHW, the length for (N, C, L), 1 for (N, C)). Per-channel vectors
 * (weight, bias, mean, invstd, running statistics) have c elements. weight NULL means
 * 1, bias NULL means 0.
 *
 * Numerics: per-channel sums are taken in 16 lanes of the element type over blocks of at
 * most 256 values, each block added into double lanes, and the lanes are combined in a
 * fixed tree; rows of fewer than 16 values ((N, C) inputs, short L) are summed per
 * position across the batch instead, in blocks of 16 images added into doubles. With few
 * channels, the batch is cut into a number of chunks that depends on the shape only,
 * whose double partial sums are added in chunk order. So every result depends on the
 * shape alone, never on nthreads (nor on the instruction set the kernel was compiled
 * for: no contraction into FMA). The variance is the corrected two-pass one: mean first,
 * then the sums of d = x - mean and d * d.
 *
 * The affine map of a channel is alpha = weight * invstd, beta = bias - mean * alpha
 * (each computed in double from the element-type mean and invstd, then rounded), and
 * the output is x * alpha + beta, as PyTorch computes it; with relu != 0 it is then
 * max(., 0) with NaN kept. The backward recomputes that map to find ReLU's mask, so a
 * fused BN + ReLU keeps nothing but x.
 */
#ifndef FASTCONV_NORM_H
#define FASTCONV_NORM_H

#include "fastconv/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Training-mode forward: per channel, mean and biased variance over the n * s values
 * (n * s >= 2), invstd = 1 / sqrt(var + eps); y = x * alpha + beta (+ ReLU).
 * save_mean and save_invstd receive the mean and invstd rounded to the element type.
 * When running_mean / running_var are not NULL they are updated in place as
 *     running = (1 - momentum) * running + momentum * stat
 * with the unbiased variance var * (n * s) / (n * s - 1). y may alias x (each value of
 * y is written after the last read of x at its place).
 * Returns FC_OK, or FC_ENOMEM when its small per-chunk scratch could not be allocated.
 */
int fc_batch_norm_forward_train(fc_dtype dt, int64_t n, int64_t c, int64_t s, const void *x,
                                const void *weight, const void *bias, double eps,
                                double momentum, void *running_mean, void *running_var,
                                int relu, void *y, void *save_mean, void *save_invstd,
                                int nthreads);

/*
 * Evaluation-mode forward with given statistics (mean, invstd: the running mean and
 * 1 / sqrt(running_var + eps)): y = x * alpha + beta (+ ReLU), one pass. y may alias x.
 * Returns FC_OK or FC_ENOMEM.
 */
int fc_batch_norm_forward_eval(fc_dtype dt, int64_t n, int64_t c, int64_t s, const void *x,
                               const void *mean, const void *invstd, const void *weight,
                               const void *bias, int relu, void *y, int nthreads);

/*
 * Backward of either forward, given the mean and invstd it normalised with. With relu,
 * dy is first zeroed where x * alpha + beta <= 0 (recomputed from x, bias and the
 * statistics: bit-identical to the forward's decision). With d = x - mean and g the
 * (masked) dy, per channel: dbias = sum(g), dweight = invstd * sum(g * d); and, with
 * a = weight * invstd,
 *     training:  dx = a * g - a * sum(g) / m - a * invstd^2 * sum(g * d) / m * d
 *     otherwise: dx = a * g                   (the statistics are constants)
 * where m = n * s. dx, dweight, dbias may each be NULL (not computed). dx may alias dy.
 * Returns FC_OK or FC_ENOMEM.
 */
int fc_batch_norm_backward(fc_dtype dt, int64_t n, int64_t c, int64_t s, const void *dy,
                           const void *x, const void *mean, const void *invstd,
                           const void *weight, const void *bias, int relu, int training,
                           void *dx, void *dweight, void *dbias, int nthreads);

#ifdef __cplusplus
}
#endif
#endif /* FASTCONV_NORM_H */
