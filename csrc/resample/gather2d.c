/*
 * resample/gather2d.c - index gathers of 2-D planes (nearest upsampling, padding) and
 * their adjoints, float and double. The bodies live in gather2d_tmpl.h.
 */
#include "resample/resample_internal.h"

#define FC_TMPL "resample/gather2d_tmpl.h"
#include "core/tmpl.h"

void fc_gather2d_forward(fc_dtype dt, int64_t planes, int64_t h, int64_t w, int64_t oh,
                         int64_t ow, const int64_t *rows, const int64_t *cols, double value,
                         const void *x, void *y, int nthreads)
{
    FC_BY_DTYPE(dt, fc_gather2d_forward, planes, h, w, oh, ow, rows, cols, value, x, y,
                nthreads);
}

void fc_gather2d_backward(fc_dtype dt, int64_t planes, int64_t h, int64_t w, int64_t oh,
                          int64_t ow, const int64_t *rows, const int64_t *cols,
                          const void *dy, void *dx, int nthreads)
{
    FC_BY_DTYPE(dt, fc_gather2d_backward, planes, h, w, oh, ow, rows, cols, dy, dx,
                nthreads);
}
