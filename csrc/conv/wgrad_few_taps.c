/*
 * conv/wgrad_few_taps.c - the weight gradient of layers with few taps per output channel
 * (fc_conv2d_wgrad_few_taps_covers, e.g. LeNet's first layer: K = 25), computed directly
 * instead of as a GEMM whose packing would cost more than its multiply-adds; its AVX2
 * and AVX-512 versions side by side (contract: FC_FEW_TAPS_ARGS in conv_internal.h).
 *
 * Both keep a block of output channels x taps along kx in registers, one vector
 * accumulator each: lane = ox % lanes, the last vector of a row masked, images, rows and
 * vectors summed in increasing order, then the lanes added in a fixed tree. Channels and
 * taps past the end of a block repeat the last valid one and are dropped. They read xpad
 * rows only at columns < ow + kw - 1 <= wp. The two differ in lanes and tree, so they
 * round differently: the chooser's ISA decides which one runs.
 */
#pragma STDC FP_CONTRACT OFF

#include <stdint.h>

#include "conv/conv_internal.h"
#include "core/internal.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>

#define FC_AVX2 __attribute__((target("avx2,fma")))
#define FC_AVX512 __attribute__((target("avx512f")))

/* ------------------------------------------------------------------ AVX2: 8 lanes */

/* Blocks of 2 output channels x 5 taps: 10 accumulators; lanes added
   ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)) (the movehl/shuffle tree). */
#define AVX2_CB 2
#define AVX2_XB 5

FC_AVX2 void fc_conv2d_wgrad_few_taps_avx2_f32(FC_FEW_TAPS_ARGS)
{
    const int64_t nv = (ow + 7) / 8, rem = ow - (nv - 1) * 8, P = oh * ow, plane = hp * wp;
    int32_t mk[8];
    for (int l = 0; l < 8; l++)
        mk[l] = l < rem ? -1 : 0;
    const __m256i tail = _mm256_loadu_si256((const __m256i *)mk);
    for (int64_t co0 = 0; co0 < m; co0 += AVX2_CB)
        for (int64_t ci = 0; ci < cin; ci++)
            for (int64_t ky = 0; ky < kh; ky++)
                for (int64_t kx0 = 0; kx0 < kw; kx0 += AVX2_XB) {
                    int64_t co[AVX2_CB], kx[AVX2_XB];
                    for (int c = 0; c < AVX2_CB; c++)
                        co[c] = fc_min64(co0 + c, m - 1);
                    for (int u = 0; u < AVX2_XB; u++)
                        kx[u] = fc_min64(kx0 + u, kw - 1);
                    __m256 acc[AVX2_CB][AVX2_XB];
                    for (int c = 0; c < AVX2_CB; c++)
                        for (int u = 0; u < AVX2_XB; u++)
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
                                    for (int u = 0; u < AVX2_XB; u++) {
                                        const __m256 xv = _mm256_loadu_ps(xr + o + kx[u]);
                                        acc[0][u] = _mm256_fmadd_ps(dv0, xv, acc[0][u]);
                                        acc[1][u] = _mm256_fmadd_ps(dv1, xv, acc[1][u]);
                                    }
                                } else {
                                    const __m256 dv0 = _mm256_maskload_ps(d0 + ro + o, tail);
                                    const __m256 dv1 = _mm256_maskload_ps(d1 + ro + o, tail);
                                    for (int u = 0; u < AVX2_XB; u++) {
                                        const __m256 xv = _mm256_maskload_ps(xr + o + kx[u],
                                                                             tail);
                                        acc[0][u] = _mm256_fmadd_ps(dv0, xv, acc[0][u]);
                                        acc[1][u] = _mm256_fmadd_ps(dv1, xv, acc[1][u]);
                                    }
                                }
                            }
                        }
                    }
                    for (int c = 0; c < AVX2_CB && co0 + c < m; c++)
                        for (int u = 0; u < AVX2_XB && kx0 + u < kw; u++) {
                            const __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc[c][u]),
                                                        _mm256_extractf128_ps(acc[c][u], 1));
                            const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
                            const __m128 s = _mm_add_ss(q, _mm_shuffle_ps(q, q, 1));
                            out[(co0 + c) * ldo + (ci * kh + ky) * kw + kx0 + u] =
                                _mm_cvtss_f32(s);
                        }
                }
}

/* ------------------------------------------------------------------ AVX-512: 16 lanes */

/* Blocks of 3 output channels x 5 taps: 15 accumulators; lanes added in
   _mm512_reduce_add_ps's fixed tree. Masked loads read nothing past column ow + kw - 2. */
#define AVX512_CB 3
#define AVX512_XB 5

FC_AVX512 void fc_conv2d_wgrad_few_taps_avx512_f32(FC_FEW_TAPS_ARGS)
{
    const int64_t nv = (ow + 15) / 16, rem = ow - (nv - 1) * 16, P = oh * ow, plane = hp * wp;
    const __mmask16 tail = (__mmask16)((1u << rem) - 1);
    for (int64_t co0 = 0; co0 < m; co0 += AVX512_CB)
        for (int64_t ci = 0; ci < cin; ci++)
            for (int64_t ky = 0; ky < kh; ky++)
                for (int64_t kx0 = 0; kx0 < kw; kx0 += AVX512_XB) {
                    int64_t co[AVX512_CB], kx[AVX512_XB];
                    for (int c = 0; c < AVX512_CB; c++)
                        co[c] = fc_min64(co0 + c, m - 1);
                    for (int u = 0; u < AVX512_XB; u++)
                        kx[u] = fc_min64(kx0 + u, kw - 1);
                    __m512 acc[AVX512_CB][AVX512_XB];
                    for (int c = 0; c < AVX512_CB; c++)
                        for (int u = 0; u < AVX512_XB; u++)
                            acc[c][u] = _mm512_setzero_ps();
                    for (int64_t img = 0; img < nimg; img++) {
                        const float *d = dy + img * dy_img;
                        const float *xr = xpad + img * xpad_img + ci * plane + ky * wp;
                        for (int64_t oy = 0; oy < oh; oy++, xr += wp)
                            for (int64_t v = 0; v < nv; v++) {
                                const int64_t o = v * 16, at = oy * ow + o;
                                const __mmask16 mk = v + 1 < nv ? (__mmask16)0xFFFF : tail;
                                __m512 dv[AVX512_CB];
                                for (int c = 0; c < AVX512_CB; c++)
                                    dv[c] = _mm512_maskz_loadu_ps(mk, d + co[c] * P + at);
                                for (int u = 0; u < AVX512_XB; u++) {
                                    const __m512 xv = _mm512_maskz_loadu_ps(mk, xr + o + kx[u]);
                                    for (int c = 0; c < AVX512_CB; c++)
                                        acc[c][u] = _mm512_fmadd_ps(dv[c], xv, acc[c][u]);
                                }
                            }
                    }
                    for (int c = 0; c < AVX512_CB && co0 + c < m; c++)
                        for (int u = 0; u < AVX512_XB && kx0 + u < kw; u++)
                            out[(co0 + c) * ldo + (ci * kh + ky) * kw + kx0 + u] =
                                _mm512_reduce_add_ps(acc[c][u]);
                }
}

void fc_conv2d_wgrad_few_taps_f32(fc_isa isa, FC_FEW_TAPS_ARGS)
{
    if (isa >= FC_ISA_AVX512)
        fc_conv2d_wgrad_few_taps_avx512_f32(xpad, xpad_img, hp, wp, dy, dy_img, nimg, m,
                                            cin, kh, kw, oh, ow, out, ldo);
    else
        fc_conv2d_wgrad_few_taps_avx2_f32(xpad, xpad_img, hp, wp, dy, dy_img, nimg, m, cin,
                                          kh, kw, oh, ow, out, ldo);
}

#else /* not x86 with GCC/clang: never chosen (the ISA is generic there) */
void fc_conv2d_wgrad_few_taps_f32(fc_isa isa, FC_FEW_TAPS_ARGS)
{
    (void)isa, (void)xpad, (void)xpad_img, (void)hp, (void)wp, (void)dy, (void)dy_img;
    (void)nimg, (void)m, (void)cin, (void)kh, (void)kw, (void)oh, (void)ow, (void)out;
    (void)ldo;
}
#endif
