/*
 * gemm/gemm.c - fastconv's GEMM: driver, packing, portable micro-kernel and run-time kernel
 * choice. The structure and the determinism rules are described in gemm_internal.h;
 * the code for both element types is gemm_tmpl.h, instantiated by core/tmpl.h.
 */
#pragma STDC FP_CONTRACT OFF /* the epilogue must round exactly as written */

#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "fastconv/gemm.h"
#include "gemm/gemm_internal.h"
#include "gemm/transpose.h"

#define FC_TMPL "gemm/transpose_tmpl.h" /* the transposed-B packing's register blocks */
#include "core/tmpl.h"

/* ------------------------------------------------------------------ kernels */

#define FC_TMPL "gemm/gemm_tmpl.h"
#include "core/tmpl.h"

/* e.g. "avx512f 12x32": the float kernel for large m (small m may use shorter tiles
 * of the same family). */
const char *fc_gemm_kernel_name(void)
{
    return fc_gemm_select_f32(fc_isa_now(), 1024)->name;
}

int fc_gemm(fc_dtype dt, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
            double alpha, const void *a, int64_t lda, const void *b, int64_t ldb,
            double beta, void *c, int64_t ldc, int nthreads)
{
    return FC_BY_DTYPE(dt, fc_gemm, fc_isa_now(), trans_a, trans_b, m, n, k, alpha, a, lda,
                       b, ldb, beta, c, ldc, nthreads);
}
