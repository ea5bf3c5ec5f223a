/*
 * resample/linear2d.c - separable linear interpolation of 2-D planes (bilinear
 * upsampling) and its adjoint, float and double. The bodies live in linear2d_tmpl.h.
 */
#include "resample/resample_internal.h"

#define FC_TMPL "resample/linear2d_tmpl.h"
#include "core/tmpl.h"

int fc_linear2d_forward(fc_dtype dt, int64_t planes, int64_t h, int64_t w, int64_t oh,
                        int64_t ow, const int64_t *rows, const int64_t *cols, const void *rw,
                        const void *cw, const void *x, void *y, int nthreads)
{
    return FC_BY_DTYPE(dt, fc_linear2d_forward, planes, h, w, oh, ow, rows, cols, rw, cw, x,
                       y, nthreads);
}

int fc_linear2d_backward(fc_dtype dt, int64_t planes, int64_t h, int64_t w, int64_t oh,
                         int64_t ow, const int64_t *rows, const int64_t *cols,
                         const void *rw, const void *cw, const void *dy, void *dx,
                         int nthreads)
{
    return FC_BY_DTYPE(dt, fc_linear2d_backward, planes, h, w, oh, ow, rows, cols, rw, cw,
                       dy, dx, nthreads);
}
