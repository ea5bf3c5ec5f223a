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

/* dx = dy where y > 0 else 0, with y the forward output; dx may alias dy. */
void fc_relu_backward(fc_dtype dt, int64_t size, const void *dy, const void *y, void *dx,
                      int nthreads);

#ifdef __cplusplus
}
#endif
#endif /* FASTCONV_ACT_H */
