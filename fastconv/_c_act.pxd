# Cython declarations of csrc/include/fastconv/act.h (semantics: see that header).
from libc.stdint cimport int64_t
from fastconv._c_core cimport fc_dtype

cdef extern from "fastconv/act.h" nogil:
    void fc_relu_forward(fc_dtype dt, int64_t size, const void *x, void *y, int nthreads)
    void fc_add_relu_forward(fc_dtype dt, int64_t size, const void *a, const void *b,
                             void *y, int nthreads)
    void fc_relu_backward(fc_dtype dt, int64_t size, const void *dy, const void *y,
                          void *dx, int nthreads)

    ctypedef enum fc_act_kind:
        FC_ACT_LEAKY_RELU
        FC_ACT_MISH

    void fc_act_forward(fc_dtype dt, fc_act_kind kind, int64_t size, const void *x, void *y,
                        double p0, double p1, int nthreads)
    void fc_act_backward(fc_dtype dt, fc_act_kind kind, int64_t size, const void *src,
                         const void *dy, void *dx, double p0, double p1, int nthreads)
