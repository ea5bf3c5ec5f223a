# Cython declarations of csrc/include/fastconv/core.h (semantics: see that header).
from libc.stdint cimport int64_t

cdef extern from "fastconv/core.h" nogil:
    ctypedef enum fc_dtype:
        FC_F32
        FC_F64
    int FC_OK
    int FC_ENOMEM

    int fc_openmp_version()
    const char *fc_compiler()
    int fc_omp_max_threads()
    int fc_cpu_has_avx2_fma()
