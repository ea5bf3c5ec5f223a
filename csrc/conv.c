/* conv.c: placeholder until the real kernels land; every call fails loudly. */
#include "fastconv.h"

int fc_conv2d_forward_f32(const fc_conv2d_params *p, const float *x, const float *w,                           const float *bias, float *y, int relu, int nthreads)
{ return 2; }

int fc_conv2d_forward_f64(const fc_conv2d_params *p, const double *x, const double *w,                           const double *bias, double *y, int relu, int nthreads)
{ return 2; }

int fc_conv2d_backward_data_f32(const fc_conv2d_params *p, const float *dy,                                 const float *w, float *dx, int nthreads)
{ return 2; }

int fc_conv2d_backward_data_f64(const fc_conv2d_params *p, const double *dy,                                 const double *w, double *dx, int nthreads)
{ return 2; }

int fc_conv2d_backward_weight_f32(const fc_conv2d_params *p, const float *x,                                   const float *dy, float *dw, int nthreads)
{ return 2; }

int fc_conv2d_backward_weight_f64(const fc_conv2d_params *p, const double *x,                                   const double *dy, double *dw, int nthreads)
{ return 2; }

void fc_conv2d_backward_bias_f32(const fc_conv2d_params *p, const float *dy, float *db,                                  int nthreads)
{ }

void fc_conv2d_backward_bias_f64(const fc_conv2d_params *p, const double *dy, double *db,                                  int nthreads)
{ }
