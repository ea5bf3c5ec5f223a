# Cython declarations of csrc/include/fastconv/pool.h (semantics: see that header).
from libc.stdint cimport int64_t, uint8_t
from fastconv._c_core cimport fc_dtype

cdef extern from "fastconv/pool.h" nogil:
    ctypedef struct fc_pool2d_params:
        int64_t n, c, h, w
        int64_t oh, ow
        int64_t kh, kw
        int64_t stride_h, stride_w
        int64_t pad_h, pad_w
        int64_t dil_h, dil_w

    void fc_max_pool2d_forward(fc_dtype dt, const fc_pool2d_params *p, const void *x,
                               void *y, int64_t *idx, int nthreads)
    void fc_max_pool2d_backward(fc_dtype dt, const fc_pool2d_params *p, const void *dy,
                                const int64_t *idx, void *dx, int nthreads)
    void fc_max_pool2x2_forward(fc_dtype dt, const fc_pool2d_params *p, const void *x,
                                void *y, uint8_t *pos, int nthreads)
    void fc_max_pool2x2_relu_backward(fc_dtype dt, const fc_pool2d_params *p, const void *dy,
                                      const void *y, const uint8_t *pos, void *dx,
                                      int nthreads)

    int fc_avg_pool2d_forward(fc_dtype dt, const fc_pool2d_params *p, int count_include_pad,
                              int64_t divisor_override, const void *x, void *y, int nthreads)
    int fc_avg_pool2d_backward(fc_dtype dt, const fc_pool2d_params *p, int count_include_pad,
                               int64_t divisor_override, const void *dy, void *dx,
                               int nthreads)

    ctypedef struct fc_adaptive_pool2d_params:
        int64_t n, c, h, w
        int64_t oh, ow

    int fc_adaptive_avg_pool2d_forward(fc_dtype dt, const fc_adaptive_pool2d_params *p,
                                       const void *x, void *y, int nthreads)
    int fc_adaptive_avg_pool2d_backward(fc_dtype dt, const fc_adaptive_pool2d_params *p,
                                        const void *dy, void *dx, int nthreads)
    int fc_adaptive_max_pool2d_forward(fc_dtype dt, const fc_adaptive_pool2d_params *p,
                                       const void *x, void *y, int64_t *idx, int nthreads)
    void fc_adaptive_max_pool2d_backward(fc_dtype dt, const fc_adaptive_pool2d_params *p,
                                         const void *dy, const int64_t *idx, void *dx,
                                         int nthreads)
