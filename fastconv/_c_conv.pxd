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

    ctypedef enum fc_conv2d_pass:
        FC_CONV_FORWARD
        FC_CONV_DATA
        FC_CONV_WEIGHT
        FC_CONV_RELU_POOL2X2
    ctypedef enum fc_conv2d_algo:
        FC_CONV_UNFUSED
    fc_conv2d_algo fc_conv2d_algorithm(const fc_conv2d_params *p, fc_conv2d_pass pass_,
                                       fc_dtype dt)
    const char *fc_conv2d_algorithm_name(fc_conv2d_algo algo)

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
