/*
 * transpose.h - rows of a matrix written as the columns of a GEMM panel, shared by the
 * packers of the convolution (conv/wgrad_pack_tmpl.h) and Winograd (conv/winograd_tmpl.h)
 * kernels.
 * transpose_tmpl.h holds the per-type transpose_rows built on these.
 */
#ifndef FC_TRANSPOSE_H
#define FC_TRANSPOSE_H

#include <stdint.h>

/*
 * 8 rows of floats written as 8 columns of a panel, 8x8 blocks transposed in AVX
 * registers (a pure copy: results are unchanged). Compiled with a target attribute and
 * called only when the capability record allows AVX2 (and so AVX).
 */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
#define FC_HAVE_AVX_TRANSPOSE 1

/* d[t*r + l] = s[l][t] for l < 8, t < len */
__attribute__((target("avx"))) static void fc_transpose8_f32(const float *const *s,
                                                          int64_t len, float *d,
                                                              int64_t r)
{
    int64_t t = 0;
    for (; t + 8 <= len; t += 8) {
        __m256 r0 = _mm256_loadu_ps(s[0] + t), r1 = _mm256_loadu_ps(s[1] + t);
        __m256 r2 = _mm256_loadu_ps(s[2] + t), r3 = _mm256_loadu_ps(s[3] + t);
        __m256 r4 = _mm256_loadu_ps(s[4] + t), r5 = _mm256_loadu_ps(s[5] + t);
        __m256 r6 = _mm256_loadu_ps(s[6] + t), r7 = _mm256_loadu_ps(s[7] + t);
        __m256 u0 = _mm256_unpacklo_ps(r0, r1), u1 = _mm256_unpackhi_ps(r0, r1);
        __m256 u2 = _mm256_unpacklo_ps(r2, r3), u3 = _mm256_unpackhi_ps(r2, r3);
        __m256 u4 = _mm256_unpacklo_ps(r4, r5), u5 = _mm256_unpackhi_ps(r4, r5);
        __m256 u6 = _mm256_unpacklo_ps(r6, r7), u7 = _mm256_unpackhi_ps(r6, r7);
        __m256 v0 = _mm256_shuffle_ps(u0, u2, 0x44), v1 = _mm256_shuffle_ps(u0, u2, 0xEE);
        __m256 v2 = _mm256_shuffle_ps(u1, u3, 0x44), v3 = _mm256_shuffle_ps(u1, u3, 0xEE);
        __m256 v4 = _mm256_shuffle_ps(u4, u6, 0x44), v5 = _mm256_shuffle_ps(u4, u6, 0xEE);
        __m256 v6 = _mm256_shuffle_ps(u5, u7, 0x44), v7 = _mm256_shuffle_ps(u5, u7, 0xEE);
        _mm256_storeu_ps(d + (t + 0) * r, _mm256_permute2f128_ps(v0, v4, 0x20));
        _mm256_storeu_ps(d + (t + 1) * r, _mm256_permute2f128_ps(v1, v5, 0x20));
        _mm256_storeu_ps(d + (t + 2) * r, _mm256_permute2f128_ps(v2, v6, 0x20));
        _mm256_storeu_ps(d + (t + 3) * r, _mm256_permute2f128_ps(v3, v7, 0x20));
        _mm256_storeu_ps(d + (t + 4) * r, _mm256_permute2f128_ps(v0, v4, 0x31));
        _mm256_storeu_ps(d + (t + 5) * r, _mm256_permute2f128_ps(v1, v5, 0x31));
        _mm256_storeu_ps(d + (t + 6) * r, _mm256_permute2f128_ps(v2, v6, 0x31));
        _mm256_storeu_ps(d + (t + 7) * r, _mm256_permute2f128_ps(v3, v7, 0x31));
    }
    for (; t < len; t++)
        for (int l = 0; l < 8; l++)
            d[t * r + l] = s[l][t];
}
#else
#define FC_HAVE_AVX_TRANSPOSE 0
#endif

#endif /* FC_TRANSPOSE_H */
