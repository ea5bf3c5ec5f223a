# Cython declarations of csrc/include/fastconv/gemm.h (semantics: see that header).
from libc.stdint cimport int64_t
from fastconv._c_core cimport fc_dtype

cdef extern from "fastconv/gemm.h" nogil:
    int fc_gemm(fc_dtype dt, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                double alpha, const void *a, int64_t lda, const void *b, int64_t ldb,
                double beta, void *c, int64_t ldc, int nthreads)
    const char *fc_gemm_kernel_name()
