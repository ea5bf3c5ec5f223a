/*
 * gemm/gemm_avx512.c - AVX-512F GEMM micro-kernels and their blocking parameters.
 *
 * Same contract as gemm_avx2.c (see gemm_internal.h): compiled with function target
 * attributes only, selected at run time when the CPU has AVX-512F (gemm.c), each
 * accumulator sums its k products in increasing p with FMA, and the store step uses
 * separate mul/add/max exactly like gemm_tmpl.h's scalar epi_one().
 *   float : MR x 32 tile, 2*MR zmm accumulators (MR rows x 2 vectors of 16)
 *   double: MR x 16 tile, 2*MR zmm accumulators (MR rows x 2 vectors of 8)
 * with MR = 14, 12, 8 or 6 (14: 28 accumulators, the most reuse of each B row; small
 * channel counts of CNN layers waste less on 6 or 8).
 */
#include <stdint.h>

#include "gemm/gemm_internal.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>

#define FC_AVX512 __attribute__((target("avx512f")))

/* Blocking: a kc x NR B panel stays in L1 (48 KiB on Sapphire Rapids), an mc x kc A
 * block in L2, a kc x nc B block in L3. KC 384 measured best on sgemm 1024..2048
 * (72-79% of the AVX-512 peak vs 70-75% with 256: fewer passes over C). */
#define S_KC 384
#define S_NC 4096
#define D_KC 256
#define D_NC 4096

FC_AVX512 static inline __m512 epi512_ps(__m512 t, const float *c, const fc_epilogue_f32 *e,
                                         __m512 bias_i)
{
    if (e->alpha != 1.0f)
        t = _mm512_mul_ps(_mm512_set1_ps(e->alpha), t);
    if (e->beta != 0.0f) {
        __m512 cv = _mm512_loadu_ps(c);
        t = (e->beta == 1.0f) ? _mm512_add_ps(t, cv)
                              : _mm512_add_ps(t, _mm512_mul_ps(_mm512_set1_ps(e->beta), cv));
    }
    if (e->bias)
        t = _mm512_add_ps(t, bias_i);
    if (e->relu)
        t = _mm512_max_ps(_mm512_setzero_ps(), t); /* NaN in t passes through */
    return t;
}

FC_AVX512 static inline __m512d epi512_pd(__m512d t, const double *c,
                                          const fc_epilogue_f64 *e, __m512d bias_i)
{
    if (e->alpha != 1.0)
        t = _mm512_mul_pd(_mm512_set1_pd(e->alpha), t);
    if (e->beta != 0.0) {
        __m512d cv = _mm512_loadu_pd(c);
        t = (e->beta == 1.0) ? _mm512_add_pd(t, cv)
                             : _mm512_add_pd(t, _mm512_mul_pd(_mm512_set1_pd(e->beta), cv));
    }
    if (e->bias)
        t = _mm512_add_pd(t, bias_i);
    if (e->relu)
        t = _mm512_max_pd(_mm512_setzero_pd(), t);
    return t;
}

/*
 * One kernel body per element type: VT vector type, W lanes, NR = 2*W columns.
 * The row loops have constant bounds and are fully unrolled, so the accumulators live
 * in registers.
 */
#define FC_UKERNEL_512(NAME, X_MR, T, VT, W, SET0, LOAD, BCAST, FMA, EPI, SET1, STORE,     \
                       EPITYPE)                                                              \
    FC_AVX512 static void NAME(int64_t k, const T *a, const T *b, const int64_t *boff,        \
                               int64_t bs, T *c, int64_t ldc, const EPITYPE *e)               \
    {                                                                                         \
        VT acc0[X_MR], acc1[X_MR];                                                            \
        _Pragma("GCC unroll 16") for (int i = 0; i < X_MR; i++)                               \
        {                                                                                     \
            acc0[i] = SET0();                                                                 \
            acc1[i] = SET0();                                                                 \
            _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);                           \
            _mm_prefetch((const char *)(c + i * ldc + 2 * (W) - 1), _MM_HINT_T0);             \
        }                                                                                     \
        /* one k step: row br of the B panel times the next MR values of A */                 \
        _Pragma("GCC unroll 4") for (int64_t p = 0; p < k; p++) {                             \
            const T *br = boff ? b + boff[p] : b + p * bs;                                    \
            const VT b0 = LOAD(br), b1 = LOAD(br + (W));                                      \
            _Pragma("GCC unroll 16") for (int i = 0; i < X_MR; i++)                           \
            {                                                                                 \
                const VT av = BCAST(a[i]);                                                    \
                acc0[i] = FMA(av, b0, acc0[i]);                                               \
                acc1[i] = FMA(av, b1, acc1[i]);                                               \
            }                                                                                 \
            a += X_MR;                                                                        \
        }                                                                                     \
        _Pragma("GCC unroll 16") for (int i = 0; i < X_MR; i++)                               \
        {                                                                                     \
            const VT bi = e->bias ? SET1(e->bias[i]) : SET0();                                \
            T *ci = c + i * ldc;                                                              \
            STORE(ci, EPI(acc0[i], ci, e, bi));                                               \
            STORE(ci + (W), EPI(acc1[i], ci + (W), e, bi));                                   \
        }                                                                                     \
    }

#define FC_F32_512(NAME, MR)                                                                 \
    FC_UKERNEL_512(NAME, MR, float, __m512, 16, _mm512_setzero_ps, _mm512_loadu_ps,             \
                   _mm512_set1_ps, _mm512_fmadd_ps, epi512_ps, _mm512_set1_ps,                 \
                   _mm512_storeu_ps, fc_epilogue_f32)
#define FC_F64_512(NAME, MR)                                                                 \
    FC_UKERNEL_512(NAME, MR, double, __m512d, 8, _mm512_setzero_pd, _mm512_loadu_pd,           \
                   _mm512_set1_pd, _mm512_fmadd_pd, epi512_pd, _mm512_set1_pd,                 \
                   _mm512_storeu_pd, fc_epilogue_f64)

FC_F32_512(ukernel_6x32_f32, 6)
FC_F32_512(ukernel_8x32_f32, 8)
FC_F32_512(ukernel_12x32_f32, 12)
FC_F32_512(ukernel_14x32_f32, 14)
FC_F64_512(ukernel_6x16_f64, 6)
FC_F64_512(ukernel_8x16_f64, 8)
FC_F64_512(ukernel_12x16_f64, 12)
FC_F64_512(ukernel_14x16_f64, 14)

/* Four tile heights; fc_gemm_select picks the one that wastes least on a given m
 * (every variant gives bit-identical results: same FMA chain per element). MC is a
 * multiple of MR. */
const fc_gemm_kernel_f32 fc_gemm_kernels_avx512_f32[FC_AVX512_VARIANTS] = {
    {"avx512f 14x32", 14, 32, 196, S_KC, S_NC, ukernel_14x32_f32},
    {"avx512f 12x32", 12, 32, 192, S_KC, S_NC, ukernel_12x32_f32},
    {"avx512f 8x32", 8, 32, 192, S_KC, S_NC, ukernel_8x32_f32},
    {"avx512f 6x32", 6, 32, 192, S_KC, S_NC, ukernel_6x32_f32},
};
const fc_gemm_kernel_f64 fc_gemm_kernels_avx512_f64[FC_AVX512_VARIANTS] = {
    {"avx512f 14x16", 14, 16, 98, D_KC, D_NC, ukernel_14x16_f64},
    {"avx512f 12x16", 12, 16, 96, D_KC, D_NC, ukernel_12x16_f64},
    {"avx512f 8x16", 8, 16, 96, D_KC, D_NC, ukernel_8x16_f64},
    {"avx512f 6x16", 6, 16, 96, D_KC, D_NC, ukernel_6x16_f64},
};

#else /* not x86 with GCC/clang: never selected */

const fc_gemm_kernel_f32 fc_gemm_kernels_avx512_f32[FC_AVX512_VARIANTS] = {
    {"avx512f (absent)", 12, 32, 192, 256, 4096, 0}};
const fc_gemm_kernel_f64 fc_gemm_kernels_avx512_f64[FC_AVX512_VARIANTS] = {
    {"avx512f (absent)", 12, 16, 96, 256, 4096, 0}};
#endif
