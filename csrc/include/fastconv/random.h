/*
 * fastconv/random.h - random masks from a counter-based generator (conventions: see
 * fastconv.h).
 *
 * Draw j of a stream with 64-bit seed s is u_j = the high 32 bits of
 * splitmix64(s + (j + 1) * 0x9E3779B97F4A7C15), i.e. of the (j + 1)-th output of
 * SplitMix64 started at s (Steele, Lea & Flood, 2014). Each draw depends on (s, j) only,
 * so a mask is the same for any thread count and any split of the work.
 */
#ifndef FASTCONV_RANDOM_H
#define FASTCONV_RANDOM_H

#include "fastconv/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Dropout over `planes` planes of plane_size values each (plane_size 1: every value on
 * its own; h * w: Dropout2d's channels). Plane j is kept when u_j >= p * 2^32, so with
 * probability 1 - p (p in [0, 1]; p = 1 keeps none): mask[j] = 1 if kept, else 0, and
 * y = x * (mask ? scale : 0) with scale = 1 / (1 - p) rounded to the element type (0 when
 * p = 1), so that a NaN dropped stays NaN, as PyTorch's x * noise does. y may alias x.
 */
void fc_dropout_forward(fc_dtype dt, int64_t planes, int64_t plane_size, const void *x,
                        double p, uint64_t seed, void *y, uint8_t *mask, int nthreads);

/* dx = dy * (mask ? scale : 0), mask one byte per plane as fc_dropout_forward wrote it;
   scale is rounded to the element type. dx may alias dy. */
void fc_dropout_backward(fc_dtype dt, int64_t planes, int64_t plane_size, const void *dy,
                         const uint8_t *mask, double scale, void *dx, int nthreads);

#ifdef __cplusplus
}
#endif
#endif /* FASTCONV_RANDOM_H */
