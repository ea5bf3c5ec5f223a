/*
 * conv.c - conv2d forward, data gradient, weight gradient and bias gradient, float and
 * double, on the GEMM engine of gemm_internal.h. The code for each element type is in
 * conv_tmpl.h, included once per type.
 */
#pragma STDC FP_CONTRACT OFF

#include <stdlib.h>
#include <string.h>

#include "conv_avx512.h"
#include "fastconv.h"
#include "fc_internal.h"
#include "gemm_internal.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#include <xmmintrin.h>
#endif

/*
 * 8 rows of floats written as 8 columns of a panel, 8x8 blocks transposed in AVX
 * registers (a pure copy: results are unchanged). Compiled with a target attribute and
 * called only when the CPU has AVX (fc_conv_avx, checked once).
 */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
#define FC_CONV_HAVE_AVX 1

static int fc_conv_avx(void)
{
    /* checked once; relaxed atomics since kernels call this from OpenMP threads */
    static int level = -1;
    int v = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (v < 0) {
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avx") ? 1 : 0;
        __atomic_store_n(&level, v, __ATOMIC_RELAXED);
    }
    return v;
}

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

/*
 * Weight gradient of a stride-1, dilation-1 convolution with few taps per output channel
 * (K = C_in/groups * KH * KW small, e.g. LeNet's first layer: K = 25), computed directly
 * instead of as a GEMM whose packing would cost more than its multiply-adds:
 *   out[co*ldo + (ci*kh + ky)*kw + kx] = sum over images, oy, ox of
 *       dy[img][co][oy][ox] * xpad[img][ci][oy + ky][ox + kx]
 * for co < m, over nimg images. Each sum runs in 8 float lanes (lane = ox % 8, the
 * last vector of a row masked), images, rows and vectors in increasing order, then the
 * lanes are added in a fixed tree: the result depends on the shapes only.
 * Blocks of 2 output channels x 5 taps along kx keep 10 accumulators in registers;
 * channels and taps past the end of a block repeat the last valid one and are dropped.
 * Needs ow >= 1; reads xpad rows only at columns < ow + kw - 1 <= wp.
 */
#define FC_WD_CB 2
#define FC_WD_XB 5
__attribute__((target("avx2,fma"))) static void fc_wgrad_direct_avx2_f32(
    const float *xpad, int64_t xpad_img, int64_t hp, int64_t wp, const float *dy,
    int64_t dy_img, int64_t nimg, int64_t m, int64_t cin, int64_t kh, int64_t kw,
    int64_t oh, int64_t ow, float *out, int64_t ldo)
{
    const int64_t nv = (ow + 7) / 8, rem = ow - (nv - 1) * 8, P = oh * ow, plane = hp * wp;
    int32_t mk[8];
    for (int l = 0; l < 8; l++)
        mk[l] = l < rem ? -1 : 0;
    const __m256i tail = _mm256_loadu_si256((const __m256i *)mk);
    for (int64_t co0 = 0; co0 < m; co0 += FC_WD_CB)
        for (int64_t ci = 0; ci < cin; ci++)
            for (int64_t ky = 0; ky < kh; ky++)
                for (int64_t kx0 = 0; kx0 < kw; kx0 += FC_WD_XB) {
                    int64_t co[FC_WD_CB], kx[FC_WD_XB];
                    for (int c = 0; c < FC_WD_CB; c++)
                        co[c] = fc_min64(co0 + c, m - 1);
                    for (int u = 0; u < FC_WD_XB; u++)
                        kx[u] = fc_min64(kx0 + u, kw - 1);
                    __m256 acc[FC_WD_CB][FC_WD_XB];
                    for (int c = 0; c < FC_WD_CB; c++)
                        for (int u = 0; u < FC_WD_XB; u++)
                            acc[c][u] = _mm256_setzero_ps();
                    for (int64_t img = 0; img < nimg; img++) {
                        const float *d0 = dy + img * dy_img + co[0] * P;
                        const float *d1 = dy + img * dy_img + co[1] * P;
                        const float *xr = xpad + img * xpad_img + ci * plane + ky * wp;
                        for (int64_t oy = 0; oy < oh; oy++, xr += wp) {
                            const int64_t ro = oy * ow;
                            for (int64_t v = 0; v < nv; v++) {
                                const int64_t o = v * 8;
                                if (v + 1 < nv || rem == 8) {
                                    const __m256 dv0 = _mm256_loadu_ps(d0 + ro + o);
                                    const __m256 dv1 = _mm256_loadu_ps(d1 + ro + o);
                                    for (int u = 0; u < FC_WD_XB; u++) {
                                        const __m256 xv = _mm256_loadu_ps(xr + o + kx[u]);
                                        acc[0][u] = _mm256_fmadd_ps(dv0, xv, acc[0][u]);
                                        acc[1][u] = _mm256_fmadd_ps(dv1, xv, acc[1][u]);
                                    }
                                } else {
                                    const __m256 dv0 = _mm256_maskload_ps(d0 + ro + o, tail);
                                    const __m256 dv1 = _mm256_maskload_ps(d1 + ro + o, tail);
                                    for (int u = 0; u < FC_WD_XB; u++) {
                                        const __m256 xv = _mm256_maskload_ps(xr + o + kx[u],
                                                                             tail);
                                        acc[0][u] = _mm256_fmadd_ps(dv0, xv, acc[0][u]);
                                        acc[1][u] = _mm256_fmadd_ps(dv1, xv, acc[1][u]);
                                    }
                                }
                            }
                        }
                    }
                    for (int c = 0; c < FC_WD_CB && co0 + c < m; c++)
                        for (int u = 0; u < FC_WD_XB && kx0 + u < kw; u++) {
                            const __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc[c][u]),
                                                        _mm256_extractf128_ps(acc[c][u], 1));
                            const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
                            const __m128 s = _mm_add_ss(q, _mm_shuffle_ps(q, q, 1));
                            out[(co0 + c) * ldo + (ci * kh + ky) * kw + kx0 + u] =
                                _mm_cvtss_f32(s);
                        }
                }
}

/* The few-tap direct weight gradient on the widest vectors available (conv_avx512.h). */
static void fc_wgrad_direct_f32(const float *xpad, int64_t xpad_img, int64_t hp, int64_t wp,
                                const float *dy, int64_t dy_img, int64_t nimg, int64_t m,
                                int64_t cin, int64_t kh, int64_t kw, int64_t oh, int64_t ow,
                                float *out, int64_t ldo)
{
    if (fc_conv_use_avx512())
        fc_wgrad_direct_avx512_f32(xpad, xpad_img, hp, wp, dy, dy_img, nimg, m, cin, kh, kw,
                                   oh, ow, out, ldo);
    else
        fc_wgrad_direct_avx2_f32(xpad, xpad_img, hp, wp, dy, dy_img, nimg, m, cin, kh, kw,
                                 oh, ow, out, ldo);
}
#else
#define FC_CONV_HAVE_AVX 0
#endif

#define FC_NAME2(name, sfx) name##_##sfx
#define FC_NAME(name, sfx) FC_NAME2(name, sfx)

#define T float
#define SFX f32
#define FC_T_IS_FLOAT 1
#include "conv_tmpl.h"
#undef T
#undef SFX
#undef FC_T_IS_FLOAT

#define T double
#define SFX f64
#define FC_T_IS_FLOAT 0
#include "conv_tmpl.h"
#undef FC_T_IS_FLOAT
#undef T
#undef SFX
