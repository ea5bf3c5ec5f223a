# Cython declarations of csrc/include/fastconv/conv.h (semantics: see that header).
from libc.stdint cimport int64_t, uint8_t
from fastconv._c_core cimport fc_dtype

cdef extern from "fastconv/conv.h" nogil:
    int FC_ENOSYS

    ctypedef struct fc_conv2d_params:
        int64_t n, c_in, h, w
        int64_t c_out, kh, kw
        int64_t oh, ow
        int64_t stride_h, stride_w
        int64_t pad_h, pad_w
        int64_t dil_h, dil_w
        int64_t groups

    int fc_conv2d_forward(fc_dtype dt, const fc_conv2d_params *p, const void *x,
                          const void *w, const void *bias, void *y, int relu, int nthreads)
    int fc_conv2d_backward_data(fc_dtype dt, const fc_conv2d_params *p, const void *dy,
                                const void *w, void *dx, int nthreads)
    int fc_conv2d_backward_weight(fc_dtype dt, const fc_conv2d_params *p, const void *x,
                                  const void *dy, void *dw, int nthreads)
    void fc_conv2d_backward_bias(fc_dtype dt, const fc_conv2d_params *p, const void *dy,
                                 void *db, int nthreads)
    int fc_conv2d_relu_pool2x2(fc_dtype dt, const fc_conv2d_params *p, const void *x,
                               const void *w, const void *bias, void *pooled, uint8_t *pos,
                               int nthreads)
    int fc_conv2d_uses_winograd(const fc_conv2d_params *p, int pass_)
    int fc_conv2d_set_winograd(int enabled)
