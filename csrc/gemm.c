/* gemm.c: placeholder until the real kernels land; every call fails loudly. */
#include "fastconv.h"

int fc_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,                 float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,                 float beta, float *c, int64_t ldc, int nthreads)
{ return 2; }

int fc_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,                 double alpha, const double *a, int64_t lda, const double *b, int64_t ldb,                 double beta, double *c, int64_t ldc, int nthreads)
{ return 2; }

const char *fc_gemm_kernel_name(void) { return "placeholder"; }
