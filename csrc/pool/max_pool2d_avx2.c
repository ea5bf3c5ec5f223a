/*
 * pool/max_pool2d_avx2.c - AVX2 kernels for interior max-pool windows (pool_internal.h).
 *
 * Compiled with function target attributes (no global -mavx2); max_pool2d.c calls them
 * only when the ISA allows AVX2. The per-type primitives (strided load, the scan's
 * select, index stores) are here; the blocking is written once in
 * max_pool2d_avx2_tmpl.h.
 */
#include "core/internal.h"
#include "pool/pool_internal.h"

#ifdef FC_POOL_HAVE_AVX2
#include <immintrin.h>

#define FC_AVX2 __attribute__((target("avx2")))
#define FC_AVX2_INLINE __attribute__((target("avx2"), always_inline)) static inline

/* ------------------------------------------------------------------- float, 8 lanes */

/* s[0], s[SW], ..., s[7 * SW], reading nothing past s[7 * SW]. */
FC_AVX2_INLINE __m256 load_f32(const float *s, const int SW)
{
    if (SW == 1)
        return _mm256_loadu_ps(s);
    __m256 a = _mm256_loadu_ps(s);      /* s0 .. s7 */
    __m256 b = _mm256_loadu_ps(s + 7);  /* s7 .. s14 */
    /* per 128-bit half: a's elements 0, 2 and b's 1, 3 -> s0 s2 s8 s10 | s4 s6 s12 s14 */
    __m256 t = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t),
                                                  _MM_SHUFFLE(3, 1, 2, 0)));
}

/* Lanes where the scan takes v over the running maximum m: v > m, or v is NaN. */
FC_AVX2_INLINE __m256 take_f32(__m256 v, __m256 m)
{
    return _mm256_or_ps(_mm256_cmp_ps(v, m, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

/* take ? v : m, as (v is NaN) ? v : max(v, m): vmaxps(v, m) is v > m ? v : m, so only a
   NaN v needs the blend, and the NaN test stays off the m -> m dependency chain. */
FC_AVX2_INLINE __m256 update_f32(__m256 v, __m256 m)
{
    return _mm256_blendv_ps(_mm256_max_ps(v, m), v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

FC_AVX2_INLINE __m256i select_k_f32(__m256i k, __m256i o, __m256 take)
{
    return _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(k),
                                                _mm256_castsi256_ps(o), take));
}

FC_AVX2_INLINE __m256i offset_f32(int64_t off)
{
    return _mm256_set1_epi32((int32_t)off);  /* off < h*w <= INT32_MAX (Cython checks) */
}

/* ip[l] = first + l * SW + k[l] for the 8 lanes. */
FC_AVX2_INLINE void store_idx_f32(int64_t *ip, int64_t first, __m256i k, const int SW)
{
    const __m256i base = _mm256_add_epi64(_mm256_set1_epi64x(first),
                                          _mm256_setr_epi64x(0, SW, 2 * SW, 3 * SW));
    const __m256i lo = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(k));
    const __m256i hi = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(k, 1));
    _mm256_storeu_si256((__m256i *)ip, _mm256_add_epi64(base, lo));
    _mm256_storeu_si256((__m256i *)(ip + 4),
                        _mm256_add_epi64(_mm256_add_epi64(base, _mm256_set1_epi64x(4 * SW)),
                                         hi));
}


/* ------------------------------------------------------------------ double, 4 lanes */

/* s[0], s[SW], s[2 * SW], s[3 * SW], reading nothing past s[3 * SW]. */
FC_AVX2_INLINE __m256d load_f64(const double *s, const int SW)
{
    if (SW == 1)
        return _mm256_loadu_pd(s);
    __m256d a = _mm256_loadu_pd(s);            /* s0 .. s3 */
    __m256d b = _mm256_loadu_pd(s + 3);        /* s3 .. s6 */
    __m256d t = _mm256_shuffle_pd(a, b, 0xA);  /* s0 s4 | s2 s6 */
    return _mm256_permute4x64_pd(t, _MM_SHUFFLE(3, 1, 2, 0));
}

FC_AVX2_INLINE __m256d take_f64(__m256d v, __m256d m)
{
    return _mm256_or_pd(_mm256_cmp_pd(v, m, _CMP_GT_OQ), _mm256_cmp_pd(v, v, _CMP_UNORD_Q));
}

FC_AVX2_INLINE __m256d update_f64(__m256d v, __m256d m)
{
    return _mm256_blendv_pd(_mm256_max_pd(v, m), v, _mm256_cmp_pd(v, v, _CMP_UNORD_Q));
}

FC_AVX2_INLINE __m256i select_k_f64(__m256i k, __m256i o, __m256d take)
{
    return _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(k),
                                                _mm256_castsi256_pd(o), take));
}

FC_AVX2_INLINE __m256i offset_f64(int64_t off)
{
    return _mm256_set1_epi64x(off);
}

FC_AVX2_INLINE void store_idx_f64(int64_t *ip, int64_t first, __m256i k, const int SW)
{
    const __m256i base = _mm256_add_epi64(_mm256_set1_epi64x(first),
                                          _mm256_setr_epi64x(0, SW, 2 * SW, 3 * SW));
    _mm256_storeu_si256((__m256i *)ip, _mm256_add_epi64(base, k));
}

#define FC_TMPL "pool/max_pool2d_avx2_tmpl.h"
#include "core/tmpl.h"

#else
typedef int fc_pool_avx2_absent; /* ISO C wants a non-empty translation unit */
#endif
