/*
 * conv/conv_bias.c - AVX-512 per-channel sums for the conv bias gradient (see
 * fc_conv2d_bias_sum_avx512_* in conv_internal.h).
 * Four images' planes are summed side by side (independent add chains hide the add
 * latency); each plane's own sum keeps the portable loop's order, so results match it
 * bit for bit. Compiled with function target attributes, chosen at run time.
 */
#pragma STDC FP_CONTRACT OFF

#include <stdlib.h>
#include <string.h>

#include "conv/conv_internal.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>

#define FC_AVX512 __attribute__((target("avx512f")))

/* ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)) of the 8 lanes, tail added to l0 */
#define FC_BIAS_TREE(l) (((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])))

#define FC_BIAS_SUM(T, SFX, LOAD8)                                                          \
    FC_AVX512 double fc_conv2d_bias_sum_avx512_##SFX(const T *dy, int64_t n, int64_t C, int64_t P, \
                                              int64_t c)                                    \
    {                                                                                       \
        const int64_t body = P - P % 8;                                                     \
        double total = 0;                                                                   \
        for (int64_t img = 0; img < n; img += 4) {                                          \
            const int64_t m = n - img < 4 ? n - img : 4;                                    \
            const T *src[4];                                                                \
            __m512d acc[4];                                                                 \
            for (int64_t i = 0; i < 4; i++) {                                               \
                src[i] = dy + ((img + (i < m ? i : 0)) * C + c) * P;                        \
                acc[i] = _mm512_setzero_pd();                                               \
            }                                                                               \
            for (int64_t j = 0; j < body; j += 8)                                           \
                for (int64_t i = 0; i < 4; i++)                                             \
                    acc[i] = _mm512_add_pd(acc[i], LOAD8(src[i] + j));                      \
            for (int64_t i = 0; i < m; i++) {                                               \
                double l[8];                                                                \
                _mm512_storeu_pd(l, acc[i]);                                                \
                for (int64_t j = body; j < P; j++)                                          \
                    l[0] += (double)src[i][j];                                              \
                total += FC_BIAS_TREE(l);                                                   \
            }                                                                               \
        }                                                                                   \
        return total;                                                                       \
    }

#define FC_LOAD8_F32(p) _mm512_cvtps_pd(_mm256_loadu_ps(p))
#define FC_LOAD8_F64(p) _mm512_loadu_pd(p)
FC_BIAS_SUM(float, f32, FC_LOAD8_F32)
FC_BIAS_SUM(double, f64, FC_LOAD8_F64)

#else /* not x86 with GCC/clang: never called (the ISA is generic there) */
double fc_conv2d_bias_sum_avx512_f32(const float *dy, int64_t n, int64_t C, int64_t P, int64_t c)
{
    (void)dy, (void)n, (void)C, (void)P, (void)c;
    return 0;
}
double fc_conv2d_bias_sum_avx512_f64(const double *dy, int64_t n, int64_t C, int64_t P, int64_t c)
{
    (void)dy, (void)n, (void)C, (void)P, (void)c;
    return 0;
}
#endif
