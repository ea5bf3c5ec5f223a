/*
 * conv/conv.c - conv2d forward, data gradient, weight gradient and bias gradient, float and
 * double, on the GEMM engine of gemm_internal.h. The code for each element type is in
 * conv_tmpl.h, included once per type.
 */
#pragma STDC FP_CONTRACT OFF

#include <stdlib.h>
#include <string.h>

#include "conv/conv_avx512.h"
#include "conv/conv_internal.h"
#include "conv/winograd.h"
#include "core/internal.h"
#include "gemm/gemm_internal.h"
#include "gemm/transpose.h"

#if FC_HAVE_AVX_TRANSPOSE
#define FC_CONV_HAVE_AVX 1

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

/*
 * Geometry of the stride-1 data gradient as a forward convolution: dx = conv(dy, W') with
 * W' the rotated, channel-swapped weights and padding dil*(k-1) - pad (maybe negative).
 */
static fc_conv2d_params fc_conv_rotated_params(const fc_conv2d_params *p)
{
    fc_conv2d_params q = *p;
    q.c_in = p->c_out;
    q.h = p->oh;
    q.w = p->ow;
    q.c_out = p->c_in;
    q.oh = p->h;
    q.ow = p->w;
    q.pad_h = p->dil_h * (p->kh - 1) - p->pad_h;
    q.pad_w = p->dil_w * (p->kw - 1) - p->pad_w;
    return q;
}

int fc_conv2d_uses_winograd(const fc_conv2d_params *p, int pass)
{
    if (pass == 1) {
        if (p->stride_h != 1 || p->stride_w != 1)
            return 0;
        const fc_conv2d_params q = fc_conv_rotated_params(p);
        return fc_winograd_applies(&q);
    }
    return pass == 2 ? fc_winograd_applies_weight(p) : fc_winograd_applies(p);
}

#define FC_NAME2(name, sfx) name##_##sfx
#define FC_NAME(name, sfx) FC_NAME2(name, sfx)

#define T float
#define SFX f32
#define FC_T_IS_FLOAT 1
#include "gemm/transpose_tmpl.h"
#include "conv/conv_tmpl.h"
#undef T
#undef SFX
#undef FC_T_IS_FLOAT

#define T double
#define SFX f64
#define FC_T_IS_FLOAT 0
#include "gemm/transpose_tmpl.h"
#include "conv/conv_tmpl.h"
#undef FC_T_IS_FLOAT
#undef T
#undef SFX

/* ------------------------------------------------------------------ entry points */

static int64_t fc_conv_weight_size(const fc_conv2d_params *p)
{
    return p->c_out * (p->c_in / p->groups) * p->kh * p->kw;
}

static size_t fc_dtype_size(fc_dtype dt) { return dt == FC_F32 ? sizeof(float) : sizeof(double); }

int fc_conv2d_forward(fc_dtype dt, const fc_conv2d_params *p, const void *x, const void *w,
                      const void *bias, void *y, int relu, int nthreads)
{
    if (p->n <= 0)
        return FC_OK;
    if (dt == FC_F32) { /* the direct kernel where it covers the layer */
        const int rc = fc_conv2d_forward_direct_f32(p, x, w, bias, y, relu, nthreads);
        if (rc != FC_ENOSYS)
            return rc;
    }
    return FC_BY_DTYPE(dt, fc_conv2d_forward, p, x, w, bias, y, relu, nthreads);
}

int fc_conv2d_backward_data(fc_dtype dt, const fc_conv2d_params *p, const void *dy,
                            const void *w, void *dx, int nthreads)
{
    if (p->n <= 0)
        return FC_OK;
    return FC_BY_DTYPE(dt, fc_conv2d_backward_data, p, dy, w, dx, nthreads);
}

int fc_conv2d_backward_weight(fc_dtype dt, const fc_conv2d_params *p, const void *x,
                              const void *dy, void *dw, int nthreads)
{
    if (p->n <= 0) { /* an empty batch: zero gradient */
        memset(dw, 0, (size_t)fc_conv_weight_size(p) * fc_dtype_size(dt));
        return FC_OK;
    }
    if (dt == FC_F32) {
        const int rc = fc_conv2d_backward_weight_direct_f32(p, x, dy, dw, nthreads);
        if (rc != FC_ENOSYS)
            return rc;
    }
    return FC_BY_DTYPE(dt, fc_conv2d_backward_weight, p, x, dy, dw, nthreads);
}

void fc_conv2d_backward_bias(fc_dtype dt, const fc_conv2d_params *p, const void *dy,
                             void *db, int nthreads)
{
    if (p->n <= 0) {
        memset(db, 0, (size_t)p->c_out * fc_dtype_size(dt));
        return;
    }
    FC_BY_DTYPE(dt, fc_conv2d_backward_bias, p, dy, db, nthreads);
}

int fc_conv2d_relu_pool2x2(fc_dtype dt, const fc_conv2d_params *p, const void *x,
                           const void *w, const void *bias, void *pooled, uint8_t *pos,
                           int nthreads)
{
    if (dt != FC_F32 || p->n <= 0)
        return FC_ENOSYS;
    return fc_conv2d_relu_pool2x2_direct_f32(p, x, w, bias, pooled, pos, nthreads);
}
