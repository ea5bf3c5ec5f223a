# Cython declarations of csrc/include/fastconv/norm.h (semantics: see that header).
from libc.stdint cimport int64_t
from fastconv._c_core cimport fc_dtype

cdef extern from "fastconv/norm.h" nogil:
    int fc_batch_norm_forward_train(fc_dtype dt, int64_t n, int64_t c, int64_t s,
                                    const void *x, const void *weight, const void *bias,
                                    double eps, double momentum, void *running_mean,
                                    void *running_var, int relu, void *y, void *save_mean,
                                    void *save_invstd, int nthreads)
    int fc_batch_norm_forward_eval(fc_dtype dt, int64_t n, int64_t c, int64_t s,
                                   const void *x, const void *mean, const void *invstd,
                                   const void *weight, const void *bias, int relu, void *y,
                                   int nthreads)
    int fc_batch_norm_backward(fc_dtype dt, int64_t n, int64_t c, int64_t s, const void *dy,
                               const void *x, const void *mean, const void *invstd,
                               const void *weight, const void *bias, int relu, int training,
                               void *dx, void *dweight, void *dbias, int nthreads)
