/*
 * fastconv/gemm.h - matrix products (conventions: see fastconv.h).
 */
#ifndef FASTCONV_GEMM_H
#define FASTCONV_GEMM_H

#include "fastconv/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * C = alpha * op(A) @ op(B) + beta * C, row-major.
 *   op(A) is m x k: A is m x k (lda >= k) or, with trans_a, k x m (lda >= m).
 *   op(B) is k x n: B is k x n (ldb >= n) or, with trans_b, n x k (ldb >= k).
 *   C is m x n with ldc >= n. beta == 0 overwrites C without reading it (NaN-safe).
 */
int fc_gemm(fc_dtype dt, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
            double alpha, const void *a, int64_t lda, const void *b, int64_t ldb,
            double beta, void *c, int64_t ldc, int nthreads);

/* Name of the GEMM micro-kernel chosen at run time, e.g. "avx2-fma 6x16" or "generic". */
const char *fc_gemm_kernel_name(void);

#ifdef __cplusplus
}
#endif
#endif /* FASTCONV_GEMM_H */
