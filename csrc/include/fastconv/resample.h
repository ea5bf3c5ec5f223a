/*
 * fastconv/resample.h - resampling of 2-D planes: index gathers (nearest upsampling and
 * every padding mode), separable linear interpolation (bilinear upsampling) and grid
 * sampling (the spatial transformer's sampler), each with its backward
 * (conventions: see fastconv.h).
 *
 * Images are viewed as `planes` independent (h, w) planes (planes = N * C), outputs as
 * (oh, ow) planes. Where an op takes per-axis index maps (rows, cols), the caller has
 * computed them (PyTorch's source-coordinate rules live in fastconv/ops/resample.py,
 * once for every backend) and the Cython layer has checked every index against the
 * input size; kernels trust them. Each output is computed the same way whatever
 * nthreads is: the work is split over whole planes (or whole images for grid sampling),
 * and every gradient sum runs in a fixed order inside one plane or image.
 */
#ifndef FASTCONV_RESAMPLE_H
#define FASTCONV_RESAMPLE_H

#include "fastconv/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Index gather: y[p, i, j] = x[p, rows[i], cols[j]], or `value` where rows[i] < 0 or
 * cols[j] < 0. rows has oh entries in [-1, h), cols ow entries in [-1, w). Nearest
 * upsampling and constant, reflect, replicate and circular padding are all this map.
 */
void fc_gather2d_forward(fc_dtype dt, int64_t planes, int64_t h, int64_t w, int64_t oh,
                         int64_t ow, const int64_t *rows, const int64_t *cols, double value,
                         const void *x, void *y, int nthreads);

/*
 * Its adjoint: dx = 0, then dx[p, rows[i], cols[j]] += dy[p, i, j] for every (i, j)
 * with both indices >= 0, in row-major order of (i, j). Overwrites dx.
 */
void fc_gather2d_backward(fc_dtype dt, int64_t planes, int64_t h, int64_t w, int64_t oh,
                          int64_t ow, const int64_t *rows, const int64_t *cols,
                          const void *dy, void *dx, int nthreads);

/*
 * Separable linear interpolation (bilinear upsampling, PyTorch's evaluation order):
 *   y[p, i, j] = rw[i, 0] * (cw[j, 0] * x[p, r0, c0] + cw[j, 1] * x[p, r0, c1])
 *              + rw[i, 1] * (cw[j, 0] * x[p, r1, c0] + cw[j, 1] * x[p, r1, c1])
 * with (r0, r1) = rows[i, 0..1] in [0, h), (c0, c1) = cols[j, 0..1] in [0, w); rows and
 * cols are (oh, 2) and (ow, 2) int64, rw and cw (oh, 2) and (ow, 2) arrays of the
 * element type. Returns FC_OK or FC_ENOMEM (per-thread row scratch).
 */
int fc_linear2d_forward(fc_dtype dt, int64_t planes, int64_t h, int64_t w, int64_t oh,
                        int64_t ow, const int64_t *rows, const int64_t *cols, const void *rw,
                        const void *cw, const void *x, void *y, int nthreads);

/*
 * Its adjoint: dx = 0, then each dy[p, i, j] is spread over its four taps with the same
 * weights (the rows' weights applied first, into a per-plane (h, ow) buffer, then the
 * columns'). Overwrites dx. Returns FC_OK or FC_ENOMEM.
 */
int fc_linear2d_backward(fc_dtype dt, int64_t planes, int64_t h, int64_t w, int64_t oh,
                         int64_t ow, const int64_t *rows, const int64_t *cols,
                         const void *rw, const void *cw, const void *dy, void *dx,
                         int nthreads);

/* grid_sample's interpolation and padding modes (PyTorch's enum values). */
typedef enum { FC_GRID_BILINEAR = 0, FC_GRID_NEAREST = 1 } fc_grid_mode;
typedef enum { FC_GRID_ZEROS = 0, FC_GRID_BORDER = 1, FC_GRID_REFLECTION = 2 } fc_grid_padding;

/*
 * Grid sampling, PyTorch's grid_sample on 4-D input: x (n, c, h, w), grid (n, oh, ow, 2)
 * of normalised (x, y) coordinates in [-1, 1] (-1 is the left/top edge: the first
 * pixel's centre with align_corners, its outer edge without), y (n, c, oh, ow).
 * Coordinates are unnormalised, then clipped (border) or reflected and clipped
 * (reflection) exactly as PyTorch's CPU kernel does; bilinear reads the four
 * neighbours, nearest rounds half to even; taps outside the input read as zero (zeros
 * padding). A NaN coordinate, or one so far outside that no tap can be in the input,
 * samples zero. Returns FC_OK or FC_ENOMEM.
 */
int fc_grid_sample2d_forward(fc_dtype dt, int64_t n, int64_t c, int64_t h, int64_t w,
                             int64_t oh, int64_t ow, fc_grid_mode mode,
                             fc_grid_padding padding, int align_corners, const void *x,
                             const void *grid, void *y, int nthreads);

/*
 * Its gradients given dy (n, c, oh, ow): dx (n, c, h, w) receives every tap's weight
 * times dy (added in (channel, output pixel, tap) order), dgrid (n, oh, ow, 2) the
 * derivative with respect to each coordinate (summed over channels in order; zero for
 * nearest, and where clipping flattens the map, as PyTorch defines it). Either output
 * may be NULL (not computed); both are overwritten. Returns FC_OK or FC_ENOMEM.
 */
int fc_grid_sample2d_backward(fc_dtype dt, int64_t n, int64_t c, int64_t h, int64_t w,
                              int64_t oh, int64_t ow, fc_grid_mode mode,
                              fc_grid_padding padding, int align_corners, const void *dy,
                              const void *x, const void *grid, void *dx, void *dgrid,
                              int nthreads);

#ifdef __cplusplus
}
#endif
#endif /* FASTCONV_RESAMPLE_H */
