/*
 * gemm.c - fastconv's GEMM: driver, packing, portable micro-kernel and run-time kernel
 * choice. The structure and the determinism rules are described in gemm_internal.h;
 * the code for each element type is in gemm_tmpl.h, included once per type.
 */
#pragma STDC FP_CONTRACT OFF /* the epilogue must round exactly as written */

#include <stdlib.h>
#include <string.h>

#include "fastconv.h"
#include "fc_internal.h"
#include "gemm_internal.h"

#define FC_NAME2(name, sfx) name##_##sfx
#define FC_NAME(name, sfx) FC_NAME2(name, sfx)
#define FC_STR2(x) #x
#define FC_STR(x) FC_STR2(x)

/*
 * 1 when the AVX2/FMA kernels are used: the CPU has them and FASTCONV_GEMM_KERNEL is not
 * "generic" (which forces the portable kernel, to test it on any machine). Decided once.
 */
static int fc_gemm_use_avx2(void)
{
    static volatile int cached = -1; /* benign race: every thread computes the same value */
    int v = cached;
    if (v < 0) {
        const char *env = getenv("FASTCONV_GEMM_KERNEL");
        v = fc_cpu_has_avx2_fma() && !(env && strcmp(env, "generic") == 0);
        cached = v;
    }
    return v;
}

#define T float
#define SFX f32
#include "gemm_tmpl.h"
#undef T
#undef SFX

#define T double
#define SFX f64
#include "gemm_tmpl.h"
#undef T
#undef SFX

const char *fc_gemm_kernel_name(void)
{
    return fc_gemm_select_f32()->name;
}
