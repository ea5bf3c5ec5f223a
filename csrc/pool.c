/* pool.c: placeholder until the real kernels land; every call fails loudly. */
#include "fastconv.h"

void fc_max_pool2d_forward_f32(const fc_pool2d_params *p, const float *x, float *y,                                int64_t *idx, int nthreads)
{ }

void fc_max_pool2d_forward_f64(const fc_pool2d_params *p, const double *x, double *y,                                int64_t *idx, int nthreads)
{ }

void fc_max_pool2d_backward_f32(const fc_pool2d_params *p, const float *dy,                                 const int64_t *idx, float *dx, int nthreads)
{ }

void fc_max_pool2d_backward_f64(const fc_pool2d_params *p, const double *dy,                                 const int64_t *idx, double *dx, int nthreads)
{ }
