/*
 * conv/direct_common.c - what several direct kernels (conv/direct.h) use: the zero-padded
 * copy of an image, the packed weights, the tile transpose into output planes, and the
 * channel-blocked frame of the stride-2 kernels. Pure copies: no rounding.
 */
#include <string.h>

#include "conv/direct.h"

/* xq = image xn in a zero-padded frame of dc_padded_h x dc_padded_w per channel. */
void fc_direct_pad_image(const fc_conv2d_params *p, const float *xn, float *xq)
{
    const int64_t hp = dc_padded_h(p), wp = dc_padded_w(p);
    const int64_t c0 = p->pad_w, n = fc_max64(0, fc_min64(p->w, wp - c0));
    for (int64_t ci = 0; ci < p->c_in; ci++)
        for (int64_t r = 0; r < hp; r++) {
            float *q = xq + (ci * hp + r) * wp;
            const int64_t iy = r - p->pad_h;
            if (iy < 0 || iy >= p->h || n == 0) {
                memset(q, 0, (size_t)wp * sizeof(float));
                continue;
            }
            memset(q, 0, (size_t)c0 * sizeof(float));
            memcpy(q + c0, xn + (ci * p->h + iy) * p->w, (size_t)n * sizeof(float));
            memset(q + c0 + n, 0, (size_t)(wp - c0 - n) * sizeof(float));
        }
}

#if FC_DIRECT_X86
/* wq[cb][k][l] = w[cb * lanes + l][k], k = (ci, ky, kx): blocks of lanes (16 or 32)
   channels in turn, shared among the threads of the enclosing parallel region. Written
   in order, reading lanes rows side by side (writes a line apart missed L1 each). */
void fc_direct_pack_weights(const fc_conv2d_params *p, const float *w, float *wq,
                            int64_t lanes)
{
    const int64_t K = p->c_in * p->kh * p->kw;
#pragma omp for schedule(static)
    for (int64_t cb = 0; cb < p->c_out / lanes; cb++)
        for (int64_t k = 0; k < K; k++)
            for (int64_t l = 0; l < lanes; l++)
                wq[(cb * K + k) * lanes + l] = w[(cb * lanes + l) * K + k];
}

/* y[l][pixel] = tile[pixel][l] for the 16 planes of a block: each plane written in order
   (a scatter per pixel into 16 planes a page apart thrashes the cache). */
DC_AVX512 void fc_direct_tile_out(const fc_conv2d_params *p, const float *tile, float *y)
{
    const int64_t P = p->oh * p->ow;
    const __m512i idx = _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32(16));
    for (int64_t l = 0; l < 16; l++)
        for (int64_t j = 0; j < P; j += 16) {
            const __mmask16 mk = (__mmask16)(P - j >= 16 ? 0xFFFF : (1u << (P - j)) - 1);
            const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mk, idx,
                                                      tile + j * 16 + l, 4);
            _mm512_mask_storeu_ps(y + l * P + j, mk, v);
        }
}

/* xb[cb][r][c][l] = input channel cb * 16 + l at padded row r, column c of image xn (zero
   outside it): 16 columns of 16 planes at a time, transposed in registers. */
DC_AVX512 void fc_direct_pack_blocked(const fc_conv2d_params *p, const float *xn, float *xb)
{
    const int64_t hp = dc_padded_h(p), wp = dc_padded_w(p), plane = p->h * p->w;
    const int64_t c0 = p->pad_w, n = fc_max64(0, fc_min64(p->w, wp - c0));
    for (int64_t cb = 0; cb < p->c_in / 16; cb++)
        for (int64_t r = 0; r < hp; r++) {
            float *q = xb + (cb * hp + r) * wp * 16;
            const int64_t iy = r - p->pad_h;
            if (iy < 0 || iy >= p->h || n == 0) {
                memset(q, 0, (size_t)(wp * 16) * sizeof(float));
                continue;
            }
            const float *src = xn + cb * 16 * plane + iy * p->w;
            memset(q, 0, (size_t)(c0 * 16) * sizeof(float));
            for (int64_t ix = 0; ix < n; ix += 16) {
                const int64_t m = fc_min64(16, n - ix);
                const __mmask16 mk = (__mmask16)(m == 16 ? 0xFFFF : (1u << m) - 1);
                __m512 rows[16];
                for (int l = 0; l < 16; l++)
                    rows[l] = _mm512_maskz_loadu_ps(mk, src + l * plane + ix);
                db_transpose16(rows, q + (c0 + ix) * 16, m);
            }
            memset(q + (c0 + n) * 16, 0, (size_t)((wp - c0 - n) * 16) * sizeof(float));
        }
}
#endif
