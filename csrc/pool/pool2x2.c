/*
 * pool/pool2x2.c - max pooling with 2x2 windows, stride 2, no padding (LeNet's and most
 * CNNs' pooling) that records each winner's position in its window (one byte) instead of
 * a flat int64 index, and a backward that applies the ReLU mask of the pooled output and
 * writes every dx element once (no zero pass, no scatter). The fused conv + ReLU +
 * max-pool autograd op uses this pair; values and gradients are bit-identical to
 * max_pool2d_forward and relu_backward + max_pool2d_backward.
 *
 * Planes are independent (results never depend on the thread count). float runs on
 * AVX-512 (F, BW, VL) where the CPU has it and the ISA is avx512, on AVX2 where the ISA
 * is avx2; the portable loops (pool2x2_tmpl.h) cover double and the generic ISA. All
 * three give the same bytes (selects and compares only, no arithmetic but + 0).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "fastconv/pool.h"

/* Below this many input elements a call runs on one thread. */
#define P2_PAR_MIN 32768

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define P2_HAVE_X86 1
#include <immintrin.h>

#include "pool/max4_avx2.h"
#include "pool/max4_avx512.h"

#define P2_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))
#define P2_AVX2 __attribute__((target("avx2")))

/* The float kernels' instruction set: AVX-512 when the ISA allows it and the CPU has BW
   and VL, else AVX2 when the ISA allows that, else the portable loops. */
static fc_isa p2_float_isa(void)
{
    const fc_isa isa = fc_isa_now();
    if (isa >= FC_ISA_AVX512 && fc_cpu_has_avx512bw_vl())
        return FC_ISA_AVX512;
    return isa >= FC_ISA_AVX2 ? FC_ISA_AVX2 : FC_ISA_GENERIC;
}

/* Lane masks for the 2n input columns [0, 2n) of a chunk of n <= 16 outputs. */
static inline void p2_masks(int64_t n, __mmask16 *out, __mmask16 *lo, __mmask16 *hi)
{
    *out = (__mmask16)((1u << n) - 1);
    *lo = (__mmask16)(n >= 8 ? 0xFFFF : (1u << (2 * n)) - 1);
    *hi = (__mmask16)(n > 8 ? (1u << (2 * n - 16)) - 1 : 0);
}

/* One plane, 16 outputs of a row at a time: even and odd columns of both rows picked
   out of two vectors with one permute each, then the scalar scan's selects. */
P2_AVX512 static void p2_forward_plane_avx512_f32(const fc_pool2d_params *p,
                                                  const float *xp, float *yp, uint8_t *pp)
{
    const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26,
                                         28, 30);
    const __m512i od = _mm512_add_epi32(ev, _mm512_set1_epi32(1));
    const int64_t w = p->w, ow = p->ow;
    for (int64_t oy = 0; oy < p->oh; oy++) {
        const float *top = xp + 2 * oy * w, *bot = top + w;
        for (int64_t ox = 0; ox < ow; ox += 16) {
            __mmask16 mo, ml, mh;
            p2_masks(ow - ox < 16 ? ow - ox : 16, &mo, &ml, &mh);
            const __m512 t0 = _mm512_maskz_loadu_ps(ml, top + 2 * ox);
            const __m512 t1 = _mm512_maskz_loadu_ps(mh, top + 2 * ox + 16);
            const __m512 b0 = _mm512_maskz_loadu_ps(ml, bot + 2 * ox);
            const __m512 b1 = _mm512_maskz_loadu_ps(mh, bot + 2 * ox + 16);
            __m512i k;
            const __m512 m = fc_max4_avx512(
                _mm512_permutex2var_ps(t0, ev, t1), _mm512_permutex2var_ps(t0, od, t1),
                _mm512_permutex2var_ps(b0, ev, b1), _mm512_permutex2var_ps(b0, od, b1), &k);
            _mm512_mask_storeu_ps(yp + oy * ow + ox, mo, m);
            _mm512_mask_cvtepi32_storeu_epi8(pp + oy * ow + ox, mo, k);
        }
    }
}

/* One plane of the backward: the masked gradient placed at each winner, zeros around,
   interleaved back into the two input rows with one permute per 16 columns. */
P2_AVX512 static void p2_relu_backward_plane_avx512_f32(const fc_pool2d_params *p,
                                                        const float *dyp, const float *yp,
                                                        const uint8_t *pp, float *dxp)
{
    const __m512i il = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7,
                                         23);
    const __m512i ih = _mm512_add_epi32(il, _mm512_set1_epi32(8));
    const __m512 zero = _mm512_setzero_ps();
    const int64_t w = p->w, ow = p->ow;
    for (int64_t oy = 0; oy < p->oh; oy++) {
        float *top = dxp + 2 * oy * w, *bot = top + w;
        for (int64_t ox = 0; ox < ow; ox += 16) {
            __mmask16 mo, ml, mh;
            p2_masks(ow - ox < 16 ? ow - ox : 16, &mo, &ml, &mh);
            const int64_t o = oy * ow + ox;
            const __m512 yv = _mm512_maskz_loadu_ps(mo, yp + o);
            const __mmask16 pass = _mm512_cmp_ps_mask(yv, zero, _CMP_GT_OQ) & mo;
            /* + 0 turns -0 into +0, as the unfused zero-fill-then-add does */
            const __m512 g = _mm512_add_ps(_mm512_maskz_loadu_ps(pass, dyp + o), zero);
            const __m512i k = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(mo, pp + o));
            const __m512 a = _mm512_maskz_mov_ps(
                _mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32(0)), g);
            const __m512 b = _mm512_maskz_mov_ps(
                _mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32(1)), g);
            const __m512 c = _mm512_maskz_mov_ps(
                _mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32(2)), g);
            const __m512 d = _mm512_maskz_mov_ps(
                _mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32(3)), g);
            _mm512_mask_storeu_ps(top + 2 * ox, ml, _mm512_permutex2var_ps(a, il, b));
            _mm512_mask_storeu_ps(top + 2 * ox + 16, mh, _mm512_permutex2var_ps(a, ih, b));
            _mm512_mask_storeu_ps(bot + 2 * ox, ml, _mm512_permutex2var_ps(c, il, d));
            _mm512_mask_storeu_ps(bot + 2 * ox + 16, mh, _mm512_permutex2var_ps(c, ih, d));
        }
        for (int64_t c = 2 * ow; c < w; c++)
            top[c] = bot[c] = 0;
    }
    for (int64_t i = 2 * p->oh * w; i < p->h * w; i++)
        dxp[i] = 0;
}

/* One plane, 8 outputs of a row at a time: even and odd columns of both rows picked out
   of two vectors each (shuffle + permute), then fc_max4_avx2. A row's last partial chunk
   is its last 8 outputs again; rows shorter than 8 read through lane masks and write
   whole vectors that run into the next rows, rewritten afterwards (through a buffer at
   the plane's end: masked stores are slow on AMD). */
P2_AVX2 static void p2_forward_plane_avx2_f32(const fc_pool2d_params *p, const float *xp,
                                              float *yp, uint8_t *pp)
{
    const int64_t w = p->w, ow = p->ow;
    for (int64_t oy = 0; oy < p->oh; oy++) {
        const float *top = xp + 2 * oy * w, *bot = top + w;
        for (int64_t ox = 0; ox < ow; ox += 8) {
            if (ox + 8 > ow && ow >= 8)
                ox = ow - 8; /* the last 8 again: the same values rewritten */
            const int64_t n = ow - ox < 8 ? ow - ox : 8;
            __m256 t0, t1, b0, b1;
            if (n == 8 || (2 * oy + 1) * w + 16 <= p->h * w) {
                /* (a short row: lanes of the next rows, unused) */
                t0 = _mm256_loadu_ps(top + 2 * ox);
                t1 = _mm256_loadu_ps(top + 2 * ox + 8);
                b0 = _mm256_loadu_ps(bot + 2 * ox);
                b1 = _mm256_loadu_ps(bot + 2 * ox + 8);
            } else {
                const __m256i ml = fc_lane_mask_avx2(2 * n), mh = fc_lane_mask_avx2(2 * n - 8);
                t0 = _mm256_maskload_ps(top + 2 * ox, ml);
                t1 = _mm256_maskload_ps(top + 2 * ox + 8, mh);
                b0 = _mm256_maskload_ps(bot + 2 * ox, ml);
                b1 = _mm256_maskload_ps(bot + 2 * ox + 8, mh);
            }
            __m256 a, b, c, d;
            fc_deinterleave_avx2(t0, t1, &a, &b);
            fc_deinterleave_avx2(b0, b1, &c, &d);
            __m256i k;
            const __m256 m = fc_max4_avx2(a, b, c, d, &k);
            const __m128i kb = fc_epi32_to_bytes_avx2(k);
            if (n == 8 || (oy * ow + 8 <= p->oh * ow)) {
                /* a short row's vector runs into the next rows, which are written later */
                _mm256_storeu_ps(yp + oy * ow + ox, m);
                _mm_storel_epi64((__m128i *)(pp + oy * ow + ox), kb);
            } else { /* the plane's end: through buffers (masked stores are slow on AMD) */
                float tm[8];
                uint8_t tk[16];
                _mm256_storeu_ps(tm, m);
                _mm_storeu_si128((__m128i *)tk, kb);
                memcpy(yp + oy * ow + ox, tm, (size_t)n * sizeof(float));
                memcpy(pp + oy * ow + ox, tk, (size_t)n);
            }
        }
    }
}

/* One plane of the backward, 8 outputs at a time: the masked gradient kept at each
   winner's place (and-ed with k == place), interleaved back into the two input rows;
   row ends as in the forward. */
P2_AVX2 static void p2_relu_backward_plane_avx2_f32(const fc_pool2d_params *p,
                                                    const float *dyp, const float *yp,
                                                    const uint8_t *pp, float *dxp)
{
    const __m256 zero = _mm256_setzero_ps();
    const int64_t w = p->w, ow = p->ow;
    for (int64_t oy = 0; oy < p->oh; oy++) {
        float *top = dxp + 2 * oy * w, *bot = top + w;
        for (int64_t ox = 0; ox < ow; ox += 8) {
            if (ox + 8 > ow && ow >= 8)
                ox = ow - 8; /* the last 8 again: the same values rewritten */
            const int64_t n = ow - ox < 8 ? ow - ox : 8, o = oy * ow + ox;
            __m256 yv, dv;
            __m128i kb;
            if (o + 8 <= p->oh * ow) { /* (a short row: lanes of the next row, unused) */
                yv = _mm256_loadu_ps(yp + o);
                dv = _mm256_loadu_ps(dyp + o);
                kb = _mm_loadl_epi64((const __m128i *)(pp + o));
            } else {
                const __m256i mo = fc_lane_mask_avx2(n);
                uint8_t tmp[16] = {0};
                yv = _mm256_maskload_ps(yp + o, mo);
                dv = _mm256_maskload_ps(dyp + o, mo);
                memcpy(tmp, pp + o, (size_t)n);
                kb = _mm_loadl_epi64((const __m128i *)tmp);
            }
            /* + 0 turns -0 into +0, as the unfused zero-fill-then-add does */
            const __m256 g = _mm256_add_ps(_mm256_and_ps(_mm256_cmp_ps(yv, zero, _CMP_GT_OQ), dv),
                                           zero);
            const __m256i k = _mm256_cvtepu8_epi32(kb);
            const __m256 a = _mm256_and_ps(
                g, _mm256_castsi256_ps(_mm256_cmpeq_epi32(k, _mm256_set1_epi32(0))));
            const __m256 b = _mm256_and_ps(
                g, _mm256_castsi256_ps(_mm256_cmpeq_epi32(k, _mm256_set1_epi32(1))));
            const __m256 c = _mm256_and_ps(
                g, _mm256_castsi256_ps(_mm256_cmpeq_epi32(k, _mm256_set1_epi32(2))));
            const __m256 d = _mm256_and_ps(
                g, _mm256_castsi256_ps(_mm256_cmpeq_epi32(k, _mm256_set1_epi32(3))));
            /* a0 b0 a1 b1 | a4 b4 a5 b5 and a2 b2 a3 b3 | a6 b6 a7 b7, then halves swapped */
            const __m256 abl = _mm256_unpacklo_ps(a, b), abh = _mm256_unpackhi_ps(a, b);
            const __m256 cdl = _mm256_unpacklo_ps(c, d), cdh = _mm256_unpackhi_ps(c, d);
            const __m256 t0 = _mm256_permute2f128_ps(abl, abh, 0x20);
            const __m256 t1 = _mm256_permute2f128_ps(abl, abh, 0x31);
            const __m256 b0 = _mm256_permute2f128_ps(cdl, cdh, 0x20);
            const __m256 b1 = _mm256_permute2f128_ps(cdl, cdh, 0x31);
            if (n == 8 || (2 * oy + 1) * w + 16 <= p->h * w) {
                /* a short row's vectors run into the next rows, which are written later
                   (this row's columns past 2 * ow are zeroed below) */
                _mm256_storeu_ps(top + 2 * ox, t0);
                _mm256_storeu_ps(top + 2 * ox + 8, t1);
                _mm256_storeu_ps(bot + 2 * ox, b0);
                _mm256_storeu_ps(bot + 2 * ox + 8, b1);
            } else { /* the plane's end: through buffers (masked stores are slow on AMD) */
                float tt[16], tb[16];
                _mm256_storeu_ps(tt, t0);
                _mm256_storeu_ps(tt + 8, t1);
                _mm256_storeu_ps(tb, b0);
                _mm256_storeu_ps(tb + 8, b1);
                memcpy(top + 2 * ox, tt, (size_t)(2 * n) * sizeof(float));
                memcpy(bot + 2 * ox, tb, (size_t)(2 * n) * sizeof(float));
            }
        }
        for (int64_t c = 2 * ow; c < w; c++)
            top[c] = bot[c] = 0;
    }
    for (int64_t i = 2 * p->oh * w; i < p->h * w; i++)
        dxp[i] = 0;
}
#endif

/* Run plane(pl) for every plane, on nthreads threads when the call is large enough. */
#define P2_FOR_PLANES(p, nthreads, body)                                                   \
    do {                                                                                   \
        const int64_t planes_ = (p)->n * (p)->c;                                           \
        const int par_ = (nthreads) > 1 && planes_ > 1 && planes_ * (p)->h * (p)->w >=      \
                                                              P2_PAR_MIN;                  \
        (void)par_;                                                                        \
        _Pragma("omp parallel for num_threads(nthreads) if(par_) schedule(static)")        \
        for (int64_t pl = 0; pl < planes_; pl++) { body; }                                 \
    } while (0)

#define FC_TMPL "pool/pool2x2_tmpl.h"
#include "core/tmpl.h"

void fc_max_pool2x2_forward(fc_dtype dt, const fc_pool2d_params *p, const void *x, void *y,
                            uint8_t *pos, int nthreads)
{
    FC_BY_DTYPE(dt, fc_max_pool2x2_forward, p, x, y, pos, nthreads);
}

void fc_max_pool2x2_relu_backward(fc_dtype dt, const fc_pool2d_params *p, const void *dy,
                                  const void *y, const uint8_t *pos, void *dx, int nthreads)
{
    FC_BY_DTYPE(dt, fc_max_pool2x2_relu_backward, p, dy, y, pos, dx, nthreads);
}
