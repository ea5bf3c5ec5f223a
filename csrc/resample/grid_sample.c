/*
 * resample/grid_sample.c - grid sampling (bilinear or nearest; zeros, border or
 * reflection padding) and its gradients, float and double. The bodies live in
 * grid_sample_tmpl.h.
 */
#include "resample/resample_internal.h"

#define FC_TMPL "resample/grid_sample_tmpl.h"
#include "core/tmpl.h"

int fc_grid_sample2d_forward(fc_dtype dt, int64_t n, int64_t c, int64_t h, int64_t w,
                             int64_t oh, int64_t ow, fc_grid_mode mode,
                             fc_grid_padding padding, int align_corners, const void *x,
                             const void *grid, void *y, int nthreads)
{
    return FC_BY_DTYPE(dt, fc_grid_sample2d_forward, n, c, h, w, oh, ow, (int)mode,
                       (int)padding, align_corners, x, grid, y, nthreads);
}

int fc_grid_sample2d_backward(fc_dtype dt, int64_t n, int64_t c, int64_t h, int64_t w,
                              int64_t oh, int64_t ow, fc_grid_mode mode,
                              fc_grid_padding padding, int align_corners, const void *dy,
                              const void *x, const void *grid, void *dx, void *dgrid,
                              int nthreads)
{
    return FC_BY_DTYPE(dt, fc_grid_sample2d_backward, n, c, h, w, oh, ow, (int)mode,
                       (int)padding, align_corners, dy, x, grid, dx, dgrid, nthreads);
}
