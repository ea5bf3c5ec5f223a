# Cython declarations of csrc/include/fastconv/loss.h (semantics: see that header).
from libc.stdint cimport int64_t
from fastconv._c_core cimport fc_dtype

cdef extern from "fastconv/loss.h" nogil:
    int64_t fc_class_target_error(int64_t n, const int64_t *t, int64_t classes,
                                  int64_t ignore)
    double fc_cross_entropy_forward(fc_dtype dt, int64_t n, int64_t c, const void *x,
                                    const int64_t *t, int64_t ignore, void *logp,
                                    int64_t *count)
    void fc_cross_entropy_backward(fc_dtype dt, int64_t n, int64_t c, const void *logp,
                                   const int64_t *t, int64_t ignore, double grad,
                                   double denom, void *dx)
