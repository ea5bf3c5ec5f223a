/* relu.c: placeholder until the real kernels land; every call fails loudly. */
#include "fastconv.h"

void fc_relu_forward_f32(int64_t size, const float *x, float *y, int nthreads)
{ }

void fc_relu_forward_f64(int64_t size, const double *x, double *y, int nthreads)
{ }

void fc_relu_backward_f32(int64_t size, const float *dy, const float *y, float *dx,                           int nthreads)
{ }

void fc_relu_backward_f64(int64_t size, const double *dy, const double *y, double *dx,                           int nthreads)
{ }
