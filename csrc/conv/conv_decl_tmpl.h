/*
 * conv/conv_decl_tmpl.h - the convolution kernels of both element types that
 * conv_internal.h declares (a template: see core/tmpl.h). Semantics: conv_internal.h.
 */

/* conv_gemm.c, bias.c */
int FC_T(fc_conv2d_forward_gemm)(fc_isa isa, const fc_conv2d_params *p, const T *x,
                                 const T *w, const T *bias, T *y, int relu,
                                 int nthreads);
int FC_T(fc_conv2d_data_rotated)(fc_isa isa, const fc_conv2d_params *p, const T *dy,
                                 const T *w, T *dx, int nthreads, int wino);
int FC_T(fc_conv2d_data_col2im)(fc_isa isa, const fc_conv2d_params *p, const T *dy,
                                const T *w, T *dx, int nthreads);
int FC_T(fc_conv2d_wgrad_gemm)(fc_isa isa, const fc_conv2d_params *p, const T *x,
                               const T *dy, T *dw, int nthreads, int few_taps);
void FC_T(fc_conv2d_bias)(fc_isa isa, const fc_conv2d_params *p, const T *dy, T *db,
                          int nthreads);

/* winograd.c */
int FC_T(fc_conv2d_forward_winograd)(fc_isa isa, const fc_conv2d_params *p, const T *x,
                                     const T *w, const T *bias, T *y, int relu,
                                     int nthreads);
int FC_T(fc_conv2d_wgrad_winograd)(fc_isa isa, const fc_conv2d_params *p, const T *x,
                                   const T *dy, T *dw, int nthreads);
