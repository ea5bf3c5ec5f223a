# Cython declarations of csrc/include/fastconv/optim.h (semantics: see that header).
from libc.stdint cimport int64_t
from fastconv._c_core cimport fc_dtype

cdef extern from "fastconv/optim.h" nogil:
    void fc_sgd_update(fc_dtype dt, int64_t size, void *p, const void *g, void *buf,
                       double lr, double momentum, int first, int nthreads)
