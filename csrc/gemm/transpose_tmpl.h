/*
 * gemm/transpose_tmpl.h - transpose_rows for one element type (a template: see
 * core/tmpl.h), after gemm/transpose.h.
 */
#if defined(__SSE2__)
#include <emmintrin.h>
#include <xmmintrin.h>
#endif

/*
 * d[t*r + l] = base[off[l] + t] for t < len, l < lanes, and 0 for lanes <= l < r:
 * `lanes` rows of `len` contiguous values written as columns of a panel. 4x4 blocks are
 * transposed in SSE registers where the build has SSE2 (every x86-64), the rest is scalar.
 */
static void FC_T(transpose_rows)(const T *base, const int64_t *off, int64_t lanes,
                                 int64_t len, T *d, int64_t r)
{
    int64_t l0 = 0;
#if FC_HAVE_AVX_TRANSPOSE && FC_T_IS_FLOAT
    if (lanes >= 8 && len >= 8 && fc_isa_now() >= FC_ISA_AVX2) {
        for (; l0 + 8 <= lanes; l0 += 8) {
            const T *s[8];
            for (int q = 0; q < 8; q++)
                s[q] = base + off[l0 + q];
            fc_transpose8_f32(s, len, d + l0, r);
        }
    }
#endif
#if defined(__SSE2__) && FC_T_IS_FLOAT
    for (; l0 + 4 <= lanes; l0 += 4) {
        const T *s0 = base + off[l0], *s1 = base + off[l0 + 1];
        const T *s2 = base + off[l0 + 2], *s3 = base + off[l0 + 3];
        int64_t t = 0;
        for (; t + 4 <= len; t += 4) {
            __m128 v0 = _mm_loadu_ps(s0 + t), v1 = _mm_loadu_ps(s1 + t);
            __m128 v2 = _mm_loadu_ps(s2 + t), v3 = _mm_loadu_ps(s3 + t);
            _MM_TRANSPOSE4_PS(v0, v1, v2, v3);
            _mm_storeu_ps(d + t * r + l0, v0);
            _mm_storeu_ps(d + (t + 1) * r + l0, v1);
            _mm_storeu_ps(d + (t + 2) * r + l0, v2);
            _mm_storeu_ps(d + (t + 3) * r + l0, v3);
        }
        for (; t < len; t++) {
            d[t * r + l0] = s0[t];
            d[t * r + l0 + 1] = s1[t];
            d[t * r + l0 + 2] = s2[t];
            d[t * r + l0 + 3] = s3[t];
        }
    }
#endif
    for (int64_t l = l0; l < lanes; l++) {
        const T *src = base + off[l];
        for (int64_t t = 0; t < len; t++)
            d[t * r + l] = src[t];
    }
    if (lanes < r)
        for (int64_t t = 0; t < len; t++)
            for (int64_t l = lanes; l < r; l++)
                d[t * r + l] = 0;
}

