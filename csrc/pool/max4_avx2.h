/*
 * pool/max4_avx2.h - one 2x2 max-pool window per lane, 8 lanes: the AVX2 twin of
 * max4_avx512.h, used by the standalone 2x2 pool (pool2x2.c) and meant for any AVX2
 * kernel that fuses the pool (there is none yet: the fused direct convolution is AVX-512
 * only), so that every one picks the same winner as the scalar scan. Include only inside
 * an x86 GCC-compatible build.
 */
#ifndef FC_MAX4_AVX2_H
#define FC_MAX4_AVX2_H

#include <immintrin.h>
#include <stdint.h>

/* The window maximum of a, b, c, d (top-left, top-right, bottom-left, bottom-right),
 * scanned in that order as max_pool2d's scalar loop does: a later value wins when it is
 * greater or NaN. *pos gets the winner's index 0..3. */
__attribute__((target("avx2"), always_inline)) static inline __m256
fc_max4_avx2(__m256 a, __m256 b, __m256 c, __m256 d, __m256i *pos)
{
    const __m256 v[3] = {b, c, d};
    __m256 m = a;
    __m256 k = _mm256_setzero_ps(); /* the index as int32 bits, blended as floats */
    for (int i = 0; i < 3; i++) {
        const __m256 t = _mm256_or_ps(_mm256_cmp_ps(v[i], m, _CMP_GT_OQ),
                                      _mm256_cmp_ps(v[i], v[i], _CMP_UNORD_Q));
        m = _mm256_blendv_ps(m, v[i], t);
        k = _mm256_blendv_ps(k, _mm256_castsi256_ps(_mm256_set1_epi32(i + 1)), t);
    }
    *pos = _mm256_castps_si256(k);
    return m;
}

/* The 8 int32 lanes of k (each 0..255) as 8 bytes, in the low half of the result. */
__attribute__((target("avx2"), always_inline)) static inline __m128i
fc_epi32_to_bytes_avx2(__m256i k)
{
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(k),
                                      _mm256_extracti128_si256(k, 1));
    return _mm_packus_epi16(w, w);
}

/* Even and odd elements of the 16 values lo:hi (lo first), each in order. */
__attribute__((target("avx2"), always_inline)) static inline void
fc_deinterleave_avx2(__m256 lo, __m256 hi, __m256 *even, __m256 *odd)
{
    *even = _mm256_castpd_ps(_mm256_permute4x64_pd(
        _mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0))), 0xD8));
    *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(
        _mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1))), 0xD8));
}

/* Lanes [0, n) set (n clamped to 0..8), as a maskload/maskstore mask. */
__attribute__((target("avx2"), always_inline)) static inline __m256i
fc_lane_mask_avx2(int64_t n)
{
    const int32_t c = (int32_t)(n < 0 ? 0 : (n > 8 ? 8 : n));
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(c), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#endif /* FC_MAX4_AVX2_H */
