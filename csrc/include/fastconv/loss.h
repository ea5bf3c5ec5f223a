/*
 * fastconv/loss.h - losses (conventions: see fastconv.h). Rows are independent and run
 * on one thread (an N x C classifier head is small).
 */
#ifndef FASTCONV_LOSS_H
#define FASTCONV_LOSS_H

#include "fastconv/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Index of the first of n targets outside [0, classes) and not `ignore`; -1 if none. */
int64_t fc_class_target_error(int64_t n, const int64_t *t, int64_t classes, int64_t ignore);

/*
 * Cross entropy of scores x (n x c) against targets t (validated; `ignore` rows count
 * nothing): logp = log_softmax(x) per row (max-shifted, sum of exps in double); returns
 * the sum over kept rows of -logp[i][t[i]] (double) and their number in *count.
 * Backward: dx = (exp(logp) - onehot(t)) * ((grad * keep) / denom), keep = t != ignore,
 * denom the kept count for a mean, 1 for a sum.
 */
double fc_cross_entropy_forward(fc_dtype dt, int64_t n, int64_t c, const void *x,
                                const int64_t *t, int64_t ignore, void *logp,
                                int64_t *count);
void fc_cross_entropy_backward(fc_dtype dt, int64_t n, int64_t c, const void *logp,
                               const int64_t *t, int64_t ignore, double grad, double denom,
                               void *dx);

#ifdef __cplusplus
}
#endif
#endif /* FASTCONV_LOSS_H */
