/*
 * fastconv/pool.h - 2-D max pooling (conventions: see fastconv.h).
 */
#ifndef FASTCONV_POOL_H
#define FASTCONV_POOL_H

#include "fastconv/core.h"

#ifdef __cplusplus
extern "C" {
#endif

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
void fc_max_pool2d_forward(fc_dtype dt, const fc_pool2d_params *p, const void *x, void *y,
                           int64_t *idx, int nthreads);

/* dx = scatter-add of dy into the argmax positions. Overwrites dx. */
void fc_max_pool2d_backward(fc_dtype dt, const fc_pool2d_params *p, const void *dy,
                            const int64_t *idx, void *dx, int nthreads);

/*
 * 2x2 windows, stride 2, no padding or dilation, floor mode (oh = h / 2, ow = w / 2):
 * y as fc_max_pool2d_forward, pos = each winner's place in its window (row * 2 + col,
 * 0..3) instead of a flat index. The backward writes all of dx: (y > 0 ? dy : 0) + 0 at
 * each winner (the ReLU mask of the pooled output), +0 elsewhere; a pos above 3 routes
 * nowhere. Bit-identical to relu_backward(dy, y) then fc_max_pool2d_backward.
 */
void fc_max_pool2x2_forward(fc_dtype dt, const fc_pool2d_params *p, const void *x, void *y,
                            uint8_t *pos, int nthreads);
void fc_max_pool2x2_relu_backward(fc_dtype dt, const fc_pool2d_params *p, const void *dy,
                                  const void *y, const uint8_t *pos, void *dx,
                                  int nthreads);

#ifdef __cplusplus
}
#endif
#endif /* FASTCONV_POOL_H */
