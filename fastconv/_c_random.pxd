# Cython declarations of csrc/include/fastconv/random.h (semantics: see that header).
from libc.stdint cimport int64_t, uint8_t, uint64_t
from fastconv._c_core cimport fc_dtype

cdef extern from "fastconv/random.h" nogil:
    void fc_dropout_forward(fc_dtype dt, int64_t planes, int64_t plane_size, const void *x,
                            double p, uint64_t seed, void *y, uint8_t *mask, int nthreads)
    void fc_dropout_backward(fc_dtype dt, int64_t planes, int64_t plane_size, const void *dy,
                             const uint8_t *mask, double scale, void *dx, int nthreads)
