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
 * Which micro-kernels to use: 2 = AVX-512F, 1 = AVX2/FMA, 0 = portable C, the best this
 * CPU supports. FASTCONV_GEMM_KERNEL=avx2 or =generic caps the choice (to test the other
 * kernels on any machine). Decided once per process.
 */
static int fc_gemm_level(void)
{
    static volatile int cached = -1; /* benign race: every thread computes the same value */
    int v = cached;
    if (v < 0) {
        const char *env = getenv("FASTCONV_GEMM_KERNEL");
        v = 0;
        if (fc_cpu_has_avx2_fma()) {
            v = 1;
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
            if (__builtin_cpu_supports("avx512f"))
                v = 2;
#endif
        }
        if (env && strcmp(env, "generic") == 0)
            v = 0;
        else if (env && strcmp(env, "avx2") == 0 && v > 1)
            v = 1;
        cached = v;
    }
    return v;
}

/* ------------------------------------------------------------------ scratch cache */

/* Blocks above this size are not kept between calls. */
#define FC_SCRATCH_KEEP_MAX ((int64_t)256 << 20)

/* A block is [header of FC_ALIGN bytes holding its capacity][capacity bytes]. */
static void *scratch_new(int64_t bytes)
{
    char *raw = (char *)fc_aligned_malloc(bytes + FC_ALIGN);
    if (!raw)
        return NULL;
    *(int64_t *)raw = bytes;
    return raw + FC_ALIGN;
}

static int64_t scratch_capacity(void *p) { return *(int64_t *)((char *)p - FC_ALIGN); }
static void scratch_free(void *p)
{
    if (p)
        fc_aligned_free((char *)p - FC_ALIGN);
}

#if !defined(__STDC_NO_ATOMICS__)
#include <stdatomic.h>
static _Atomic(void *) scratch_slot = NULL;

void *fc_scratch_get(int64_t bytes)
{
    void *p = atomic_exchange(&scratch_slot, NULL);
    if (p && scratch_capacity(p) >= bytes)
        return p;
    scratch_free(p);
    return scratch_new(bytes);
}

void fc_scratch_put(void *p)
{
    if (!p)
        return;
    if (scratch_capacity(p) > FC_SCRATCH_KEEP_MAX) {
        scratch_free(p);
        return;
    }
    scratch_free(atomic_exchange(&scratch_slot, p));
}
#else /* no C11 atomics: no cache */
void *fc_scratch_get(int64_t bytes) { return scratch_new(bytes); }
void fc_scratch_put(void *p) { scratch_free(p); }
#endif

/* ------------------------------------------------------------------ kernels */

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

/* e.g. "avx512f 12x32": the float kernel for large m (small m may use shorter tiles
 * of the same family). */
const char *fc_gemm_kernel_name(void)
{
    return fc_gemm_select_f32(1024)->name;
}
