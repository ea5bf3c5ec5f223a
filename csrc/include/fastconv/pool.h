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

/*
 * 2-D average pooling (torch.nn.functional.avg_pool2d) over (n, c, h, w) -> (n, c, oh, ow):
 * p as for max pooling with dil_h = dil_w = 1 (average pooling has no dilation); zero
 * padding. Each output is (sum of the window's in-bounds inputs) / divisor, where the
 * window of output (oy, ox) spans rows [hs, he) and columns [ws, we), hs = oy * stride_h
 * - pad_h, he = min(hs + kh, h + pad_h) (likewise for columns), and the divisor is
 *   divisor_override                                  when divisor_override != 0,
 *   (he - hs) * (we - ws)                             when count_include_pad,
 *   the number of in-bounds inputs of the window       otherwise
 * (PyTorch's rules: padding counts, a ceil-mode overhang past the padding does not).
 * The quotient is one division of the sum by the divisor in T; sums run in T in a fixed
 * order (each window's rows first, then its columns), whatever nthreads.
 * Return FC_OK, or FC_ENOMEM when the window tables could not be allocated.
 */
int fc_avg_pool2d_forward(fc_dtype dt, const fc_pool2d_params *p, int count_include_pad,
                          int64_t divisor_override, const void *x, void *y, int nthreads);

/* dx = each dy / divisor added to every input of its window; overwrites all of dx. */
int fc_avg_pool2d_backward(fc_dtype dt, const fc_pool2d_params *p, int count_include_pad,
                           int64_t divisor_override, const void *dy, void *dx, int nthreads);

/*
 * Adaptive pooling over (n, c, h, w) -> (n, c, oh, ow), any oh, ow >= 1 (larger than the
 * input too): output i of an axis with `size` inputs and `out` outputs pools the inputs
 * [floor(i * size / out), ceil((i + 1) * size / out)), PyTorch's windows (never empty;
 * neighbours overlap where out does not divide size).
 */
typedef struct {
    int64_t n, c, h, w;
    int64_t oh, ow;
} fc_adaptive_pool2d_params;

/* y = each window's mean: its sum in T (rows first, then columns, as avg_pool2d) divided
   by its element count. Return FC_OK or FC_ENOMEM. */
int fc_adaptive_avg_pool2d_forward(fc_dtype dt, const fc_adaptive_pool2d_params *p,
                                   const void *x, void *y, int nthreads);
/* dx = each dy / its window's count added to the window's inputs; overwrites all of dx. */
int fc_adaptive_avg_pool2d_backward(fc_dtype dt, const fc_adaptive_pool2d_params *p,
                                    const void *dy, void *dx, int nthreads);

/*
 * y = window maximum, idx = its flat (row * w + col) index in the input plane, with the
 * rule of fc_max_pool2d_forward (a NaN wins, the last if several; the first of equal
 * maxima; a window with no value above -inf reports its first element). idx may be NULL.
 * Return FC_OK, or FC_ENOMEM when scratch memory could not be allocated.
 */
int fc_adaptive_max_pool2d_forward(fc_dtype dt, const fc_adaptive_pool2d_params *p,
                                   const void *x, void *y, int64_t *idx, int nthreads);
/* dx = scatter-add of dy into the positions idx (each in [0, h*w)); overwrites dx. */
void fc_adaptive_max_pool2d_backward(fc_dtype dt, const fc_adaptive_pool2d_params *p,
                                     const void *dy, const int64_t *idx, void *dx,
                                     int nthreads);

#ifdef __cplusplus
}
#endif
#endif /* FASTCONV_POOL_H */
