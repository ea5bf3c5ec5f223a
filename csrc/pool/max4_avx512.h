/*
 * pool/max4_avx512.h - one 2x2 max-pool window per lane, 16 lanes: shared by the
 * standalone 2x2 pool (pool2x2.c) and the pool fused into the direct convolution
 * (conv/direct_forward.c, direct_rows.c), so that both pick the same winner. Include only inside an x86 GCC-compatible build.
 */
#ifndef FC_MAX4_AVX512_H
#define FC_MAX4_AVX512_H

#include <immintrin.h>

/* The window maximum of a, b, c, d (top-left, top-right, bottom-left, bottom-right),
 * scanned in that order as max_pool2d's scalar loop does: a later value wins when it is
 * greater or NaN. *pos gets the winner's index 0..3. */
__attribute__((target("avx512f"), always_inline)) static inline __m512
fc_max4_avx512(__m512 a, __m512 b, __m512 c, __m512 d, __m512i *pos)
{
    const __m512 v[3] = {b, c, d};
    __m512 m = a;
    __m512i k = _mm512_setzero_si512();
    for (int i = 0; i < 3; i++) {
        const __mmask16 t = _mm512_cmp_ps_mask(v[i], m, _CMP_GT_OQ) |
                            _mm512_cmp_ps_mask(v[i], v[i], _CMP_UNORD_Q);
        m = _mm512_mask_mov_ps(m, t, v[i]);
        k = _mm512_mask_mov_epi32(k, t, _mm512_set1_epi32(i + 1));
    }
    *pos = k;
    return m;
}

#endif /* FC_MAX4_AVX512_H */
