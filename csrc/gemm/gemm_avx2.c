/*
 * gemm/gemm_avx2.c - AVX2/FMA GEMM micro-kernels and their blocking parameters.
 *
 * Compiled with function target attributes (no global -mavx2), so the library still
 * runs on any x86-64; gemm.c selects these kernels when the ISA is avx2.
 *   float : 6 x 16 tile, 12 ymm accumulators (6 rows x 2 vectors of 8)
 *   double: 6 x 8 tile,  12 ymm accumulators (6 rows x 2 vectors of 4)
 * Each accumulator sums its k products in increasing p with FMA; the store step does
 * alpha, beta, bias and ReLU with separate mul/add/max, exactly like gemm_tmpl.h's
 * scalar epi_one(), so edge tiles (computed through a buffer) match full tiles.
 */
#include <stdint.h>

#include "gemm/gemm_internal.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>

#define FC_AVX2 __attribute__((target("avx2,fma")))

/* Blocking (BLIS's zen3/haswell values, checked on this project's Xeon and EPYC):
 * a kc x 16 B panel (16 KiB) stays in L1, an mc x kc A block (144 KiB) in L2. */
#define S_MR 6
#define S_NR 16
#define S_MC 144
#define S_KC 256
#define S_NC 4080

#define D_MR 6
#define D_NR 8
#define D_MC 72
#define D_KC 256
#define D_NC 4080

/* --------------------------------------------------------------------- float 6x16 */

FC_AVX2 static inline __m256 epi_ps(__m256 t, const float *c, const fc_epilogue_f32 *e,
                                    __m256 bias_i)
{
    if (e->alpha != 1.0f)
        t = _mm256_mul_ps(_mm256_set1_ps(e->alpha), t);
    if (e->beta != 0.0f) {
        __m256 cv = _mm256_loadu_ps(c);
        t = (e->beta == 1.0f) ? _mm256_add_ps(t, cv)
                              : _mm256_add_ps(t, _mm256_mul_ps(_mm256_set1_ps(e->beta), cv));
    }
    if (e->bias)
        t = _mm256_add_ps(t, bias_i);
    if (e->relu)
        t = _mm256_max_ps(_mm256_setzero_ps(), t); /* NaN in t passes through */
    return t;
}

FC_AVX2 static void ukernel_6x16_f32(int64_t k, const float *a, const float *b,
                                     const int64_t *boff, int64_t bs, float *c, int64_t ldc,
                                     const fc_epilogue_f32 *e)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();

#define S_STEP(P)                                                                  \
    do {                                                                           \
        const float *br = boff ? b + boff[P] : b + (P) * bs;                       \
        __m256 b0 = _mm256_loadu_ps(br), b1 = _mm256_loadu_ps(br + 8);             \
        __m256 av;                                                                 \
        av = _mm256_broadcast_ss(a + (P) * 6 + 0);                                 \
        c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01);   \
        av = _mm256_broadcast_ss(a + (P) * 6 + 1);                                 \
        c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11);   \
        av = _mm256_broadcast_ss(a + (P) * 6 + 2);                                 \
        c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21);   \
        av = _mm256_broadcast_ss(a + (P) * 6 + 3);                                 \
        c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31);   \
        av = _mm256_broadcast_ss(a + (P) * 6 + 4);                                 \
        c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41);   \
        av = _mm256_broadcast_ss(a + (P) * 6 + 5);                                 \
        c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51);   \
    } while (0)

    /* C is read (beta != 0) only after the loop: start fetching its rows now */
    for (int i = 0; i < 6; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 15), _MM_HINT_T0);
    }
    int64_t p = 0;
    for (; p + 4 <= k; p += 4) {
        S_STEP(0);
        S_STEP(1);
        S_STEP(2);
        S_STEP(3);
        a += 24;
        if (boff)
            boff += 4;
        else
            b += 4 * bs;
    }
    for (; p < k; p++) {
        S_STEP(0);
        a += 6;
        if (boff)
            boff++;
        else
            b += bs;
    }
#undef S_STEP

    __m256 acc[6][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                        {c30, c31}, {c40, c41}, {c50, c51}};
    for (int i = 0; i < 6; i++) {
        __m256 bi = e->bias ? _mm256_set1_ps(e->bias[i]) : _mm256_setzero_ps();
        float *ci = c + i * ldc;
        _mm256_storeu_ps(ci, epi_ps(acc[i][0], ci, e, bi));
        _mm256_storeu_ps(ci + 8, epi_ps(acc[i][1], ci + 8, e, bi));
    }
}

/* --------------------------------------------------------------------- double 6x8 */

FC_AVX2 static inline __m256d epi_pd(__m256d t, const double *c, const fc_epilogue_f64 *e,
                                     __m256d bias_i)
{
    if (e->alpha != 1.0)
        t = _mm256_mul_pd(_mm256_set1_pd(e->alpha), t);
    if (e->beta != 0.0) {
        __m256d cv = _mm256_loadu_pd(c);
        t = (e->beta == 1.0) ? _mm256_add_pd(t, cv)
                             : _mm256_add_pd(t, _mm256_mul_pd(_mm256_set1_pd(e->beta), cv));
    }
    if (e->bias)
        t = _mm256_add_pd(t, bias_i);
    if (e->relu)
        t = _mm256_max_pd(_mm256_setzero_pd(), t);
    return t;
}

FC_AVX2 static void ukernel_6x8_f64(int64_t k, const double *a, const double *b,
                                    const int64_t *boff, int64_t bs, double *c, int64_t ldc,
                                    const fc_epilogue_f64 *e)
{
    __m256d c00 = _mm256_setzero_pd(), c01 = _mm256_setzero_pd();
    __m256d c10 = _mm256_setzero_pd(), c11 = _mm256_setzero_pd();
    __m256d c20 = _mm256_setzero_pd(), c21 = _mm256_setzero_pd();
    __m256d c30 = _mm256_setzero_pd(), c31 = _mm256_setzero_pd();
    __m256d c40 = _mm256_setzero_pd(), c41 = _mm256_setzero_pd();
    __m256d c50 = _mm256_setzero_pd(), c51 = _mm256_setzero_pd();

#define D_STEP(P)                                                                  \
    do {                                                                           \
        const double *br = boff ? b + boff[P] : b + (P) * bs;                      \
        __m256d b0 = _mm256_loadu_pd(br), b1 = _mm256_loadu_pd(br + 4);           \
        __m256d av;                                                                \
        av = _mm256_broadcast_sd(a + (P) * 6 + 0);                                 \
        c00 = _mm256_fmadd_pd(av, b0, c00); c01 = _mm256_fmadd_pd(av, b1, c01);   \
        av = _mm256_broadcast_sd(a + (P) * 6 + 1);                                 \
        c10 = _mm256_fmadd_pd(av, b0, c10); c11 = _mm256_fmadd_pd(av, b1, c11);   \
        av = _mm256_broadcast_sd(a + (P) * 6 + 2);                                 \
        c20 = _mm256_fmadd_pd(av, b0, c20); c21 = _mm256_fmadd_pd(av, b1, c21);   \
        av = _mm256_broadcast_sd(a + (P) * 6 + 3);                                 \
        c30 = _mm256_fmadd_pd(av, b0, c30); c31 = _mm256_fmadd_pd(av, b1, c31);   \
        av = _mm256_broadcast_sd(a + (P) * 6 + 4);                                 \
        c40 = _mm256_fmadd_pd(av, b0, c40); c41 = _mm256_fmadd_pd(av, b1, c41);   \
        av = _mm256_broadcast_sd(a + (P) * 6 + 5);                                 \
        c50 = _mm256_fmadd_pd(av, b0, c50); c51 = _mm256_fmadd_pd(av, b1, c51);   \
    } while (0)

    for (int i = 0; i < 6; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 7), _MM_HINT_T0);
    }
    int64_t p = 0;
    for (; p + 4 <= k; p += 4) {
        D_STEP(0);
        D_STEP(1);
        D_STEP(2);
        D_STEP(3);
        a += 24;
        if (boff)
            boff += 4;
        else
            b += 4 * bs;
    }
    for (; p < k; p++) {
        D_STEP(0);
        a += 6;
        if (boff)
            boff++;
        else
            b += bs;
    }
#undef D_STEP

    __m256d acc[6][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                         {c30, c31}, {c40, c41}, {c50, c51}};
    for (int i = 0; i < 6; i++) {
        __m256d bi = e->bias ? _mm256_set1_pd(e->bias[i]) : _mm256_setzero_pd();
        double *ci = c + i * ldc;
        _mm256_storeu_pd(ci, epi_pd(acc[i][0], ci, e, bi));
        _mm256_storeu_pd(ci + 4, epi_pd(acc[i][1], ci + 4, e, bi));
    }
}

const fc_gemm_kernel_f32 fc_gemm_kernel_avx2_f32 = {
    "avx2-fma 6x16", S_MR, S_NR, S_MC, S_KC, S_NC, ukernel_6x16_f32};
const fc_gemm_kernel_f64 fc_gemm_kernel_avx2_f64 = {
    "avx2-fma 6x8", D_MR, D_NR, D_MC, D_KC, D_NC, ukernel_6x8_f64};

#else /* not x86 with GCC/clang: never selected (the ISA is generic there) */

const fc_gemm_kernel_f32 fc_gemm_kernel_avx2_f32 = {"avx2-fma (absent)", 6, 16, 144, 256,
                                                    4080, 0};
const fc_gemm_kernel_f64 fc_gemm_kernel_avx2_f64 = {"avx2-fma (absent)", 6, 8, 72, 256,
                                                    4080, 0};
#endif
