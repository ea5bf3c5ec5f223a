/*
 * conv/direct_wgrad_blocked_s2.c - the direct weight gradient of stride-2 3x3 layers,
 * channel-blocked (see conv/direct.h).
 *
 * Stride-2 3x3 layers with c_in a multiple of 16 (ResNet's 128 -> 256 downsampling), any
 * c_out: x in fc_direct_pack_blocked's channel-blocked frame, dy transposed to blocks of
 * 14 output channels [pixel][16] (2 lanes unused). A tile is 14 output channels x 2 units, a unit
 * being one tap of one 16-channel input block (lanes = input channels): per output pixel,
 * 2 vector loads of x and 14 broadcasts of dy feed 28 FMAs (0.57 loads per FMA, the
 * input vectors of a tile in L1 across the channel blocks). Each tile's sums run over
 * each image's pixels in order from zero, the images' sums then added in image order (in
 * sum[unit][c_out][16]); threads split the tiles, so no sum depends on the thread count.
 */
#pragma STDC FP_CONTRACT OFF

#include <string.h>

#include "conv/direct.h"

#define DWB_H 14   /* 2 x 14 sums, 2 input vectors and a broadcast: 31 registers */
#define DWB_GROUP_BYTES ((int64_t)1 << 20)   /* images packed between two barriers */

/* Layers the blocked weight gradient computes. */
int fc_conv2d_wgrad_direct_blocked_s2_covers(const fc_conv2d_params *p)
{
    return p->stride_h == 2 && p->stride_w == 2 && p->kh == 3 &&
           p->kw == 3 && p->dil_h == 1 && p->dil_w == 1 && p->groups == 1 &&
           p->pad_h >= 0 && p->pad_h < 3 && p->pad_w >= 0 && p->pad_w < 3 &&
           p->c_in % 16 == 0 && p->c_out >= 1 && p->oh >= 1 && p->ow >= 1;
}

#if FC_DIRECT_X86
/* sum[v][c] (unit v, output channel c of the block) = the image's own sum over its
   output pixels of x (frame xu + v * du at the pixel's tap) times dy (g[pixel][16]),
   from zero, then added to sum (stored when first): images add whole, which keeps the
   rounding error of long batches near the GEMM path's. H and V are literals after
   inlining. */
DC_INLINE void dwb_tile(const fc_conv2d_params *p, const float *xu, int64_t du,
                        const float *g, float *sum, int64_t ls, int first, const int H,
                        const int V)
{
    const int64_t rs = dc_padded_w(p) * 16;
    __m512 acc[2][DWB_H];
#pragma GCC unroll 2
    for (int v = 0; v < V; v++)
#pragma GCC unroll 14
        for (int c = 0; c < H; c++)
            acc[v][c] = _mm512_setzero_ps();
    for (int64_t oy = 0; oy < p->oh; oy++) {
        const float *xr = xu + 2 * oy * rs;
        for (int64_t ox = 0; ox < p->ow; ox++, g += 16) {
            const __m512 a = _mm512_loadu_ps(xr + ox * 32);
            const __m512 b = V == 2 ? _mm512_loadu_ps(xr + du + ox * 32) : a;
#pragma GCC unroll 14
            for (int c = 0; c < H; c++) {
                const __m512 d = _mm512_set1_ps(g[c]);
                acc[0][c] = _mm512_fmadd_ps(a, d, acc[0][c]);
                if (V == 2)
                    acc[1][c] = _mm512_fmadd_ps(b, d, acc[1][c]);
            }
        }
    }
#pragma GCC unroll 2
    for (int v = 0; v < V; v++)
#pragma GCC unroll 14
        for (int c = 0; c < H; c++) {
            float *s = sum + v * ls + c * 16;
            const __m512 t = first ? acc[v][c] : _mm512_add_ps(_mm512_loadu_ps(s), acc[v][c]);
            _mm512_storeu_ps(s, t);
        }
}

#define DWB_CASE(H)                                                                        \
    case H:                                                                                \
        if (v == 2)                                                                        \
            dwb_tile(p, xu, du, g, s, ls, first, H, 2);                                    \
        else                                                                               \
            dwb_tile(p, xu, du, g, s, ls, first, H, 1);                                    \
        break;

/* Where unit u (tap u % 9 of input block u / 9) reads frame xb for output pixel (0, 0). */
static const float *dwb_unit(const fc_conv2d_params *p, const float *xb, int64_t u)
{
    const int64_t wp = dc_padded_w(p), t = u % 9;
    return xb + (u / 9 * dc_padded_h(p) * wp + t / 3 * wp + t % 3) * 16;
}

/* Tile (unit pair, 14-channel block) of one image: xb its frame, dyt its dy blocks. */
DC_AVX512 static void dwb_task(const fc_conv2d_params *p, const float *xb, const float *dyt,
                               float *sum, int64_t pair, int64_t cob, int first)
{
    const int64_t C = p->c_out, P = p->oh * p->ow, U = p->c_in / 16 * 9, ls = C * 16;
    const int64_t u = 2 * pair, v = fc_min64(2, U - u), h = fc_min64(DWB_H, C - cob * DWB_H);
    const float *xu = dwb_unit(p, xb, u);
    const int64_t du = v == 2 ? dwb_unit(p, xb, u + 1) - xu : 0;
    const float *g = dyt + cob * P * 16;
    float *s = sum + (u * C + cob * DWB_H) * 16;
    switch (h) {
        DWB_CASE(1) DWB_CASE(2) DWB_CASE(3) DWB_CASE(4) DWB_CASE(5) DWB_CASE(6) DWB_CASE(7)
        DWB_CASE(8) DWB_CASE(9) DWB_CASE(10) DWB_CASE(11) DWB_CASE(12) DWB_CASE(13)
        DWB_CASE(14)
    }
}

/* dyt[cob][pixel][c] = dy[cob * 14 + c][pixel] of one image for c < 14 (the last block
   shorter; lanes past it zero): 16 pixels at a time, transposed in registers. */
DC_AVX512 static void dwb_pack_dy(const fc_conv2d_params *p, const float *dyn, float *dyt)
{
    const int64_t C = p->c_out, P = p->oh * p->ow;
    for (int64_t c0 = 0; c0 < C; c0 += DWB_H) {
        const int64_t h = fc_min64(DWB_H, C - c0);
        float *q = dyt + c0 / DWB_H * P * 16;
        for (int64_t j = 0; j < P; j += 16) {
            const int64_t m = fc_min64(16, P - j);
            const __mmask16 mk = (__mmask16)(m == 16 ? 0xFFFF : (1u << m) - 1);
            __m512 rows[16];
            for (int c = 0; c < 16; c++)
                rows[c] = c < h ? _mm512_maskz_loadu_ps(mk, dyn + (c0 + c) * P + j)
                                : _mm512_setzero_ps();
            db_transpose16(rows, q + j * 16, m);
        }
    }
}

/* dw[co][ci][ky][kx] = lane ci % 16 of sum[unit (ci / 16, ky, kx)][co], for the output
   channels co of [lo, hi): the 9 taps x 16 lanes of an input block transposed in
   registers, then 16 runs of 9 taps written in order. */
DC_AVX512 static void dwb_store(const fc_conv2d_params *p, const float *sum, float *dw,
                                int64_t lo, int64_t hi)
{
    const int64_t C = p->c_out, K = p->c_in * 9;
    float tmp[16 * 16];
    for (int64_t co = lo; co < hi; co++)
        for (int64_t cb = 0; cb < p->c_in / 16; cb++) {
            __m512 rows[16];
            for (int t = 0; t < 16; t++)
                rows[t] = t < 9 ? _mm512_loadu_ps(sum + ((cb * 9 + t) * C + co) * 16)
                                : _mm512_setzero_ps();
            db_transpose16(rows, tmp, 16);
            for (int l = 0; l < 16; l++)
                _mm512_mask_storeu_ps(dw + co * K + (cb * 16 + l) * 9, 0x1FF,
                                      _mm512_loadu_ps(tmp + l * 16));
        }
}

/* What plan_dwb decides: tiles (unit pair, 14-channel block), threads, images packed
   between two barriers (group) and the buffers of their frames and dy blocks, the sums. */
typedef struct {
    int64_t C, P, cbs, tiles;
    int64_t xb_n, dy_n, sum_n, group;
    int nt;
} dwb_plan;

/* One thread packs one image at a time (its frame still in cache for the tiles); several
   pack about DWB_GROUP_BYTES between two barriers, at least one image each. */
static void plan_dwb(const fc_conv2d_params *p, int nthreads, dwb_plan *pl)
{
    const int64_t U = p->c_in / 16 * 9;
    pl->C = p->c_out;
    pl->P = p->oh * p->ow;
    pl->cbs = fc_ceil_div(pl->C, DWB_H);
    pl->tiles = fc_ceil_div(U, 2) * pl->cbs;
    pl->xb_n = fc_pad_elems(p->c_in * dc_padded_h(p) * dc_padded_w(p), sizeof(float));
    pl->dy_n = fc_pad_elems(pl->cbs * pl->P * 16, sizeof(float));
    pl->sum_n = fc_pad_elems(pl->C * p->c_in * 9, sizeof(float));
    pl->nt = dc_threads(p, pl->tiles, nthreads);
    pl->group = pl->nt == 1 ? 1
                            : pl->nt * fc_max64(1, DWB_GROUP_BYTES /
                                                       (pl->nt * (pl->xb_n + pl->dy_n) * 4));
}

/* The OpenMP region: images go in groups; the threads pack a group's images into shared
   buffers, then every thread adds all of them, in image order, into its own tiles; at the
   end the sums are stored into dw. sum: the scratch. */
static void run_dwb(const fc_conv2d_params *p, const dwb_plan *pl, const float *x,
                    const float *dy, float *dw, float *sum)
{
    const int64_t C = pl->C, P = pl->P, cbs = pl->cbs, xb_n = pl->xb_n, dy_n = pl->dy_n;
    float *xb = sum + pl->sum_n, *dyt = xb + pl->group * xb_n;
#pragma omp parallel num_threads(pl->nt) if (pl->nt > 1)
    {
        int64_t lo, hi;
        fc_split(pl->tiles, fc_thread_num(), fc_num_threads(), &lo, &hi);
        for (int64_t i0 = 0; i0 < p->n; i0 += pl->group) {
            const int64_t m = fc_min64(pl->group, p->n - i0);
#pragma omp for schedule(static)
            for (int64_t i = 0; i < m; i++) {
                fc_direct_pack_blocked(p, x + (i0 + i) * p->c_in * p->h * p->w,
                                       xb + i * xb_n);
                dwb_pack_dy(p, dy + (i0 + i) * C * P, dyt + i * dy_n);
            }
            for (int64_t i = 0; i < m; i++)
                for (int64_t t = lo; t < hi; t++)
                    dwb_task(p, xb + i * xb_n, dyt + i * dy_n, sum, t / cbs, t % cbs,
                             i0 + i == 0);
#pragma omp barrier
        }
        fc_split(C, fc_thread_num(), fc_num_threads(), &lo, &hi);
        dwb_store(p, sum, dw, lo, hi);
    }
}

int fc_conv2d_wgrad_direct_blocked_s2_avx512_f32(const fc_conv2d_params *p, const float *x,
                                                 const float *dy, float *dw, int nthreads)
{
    dwb_plan pl;
    plan_dwb(p, nthreads, &pl);
    float *sum = (float *)fc_scratch_get((pl.sum_n + pl.group * (pl.xb_n + pl.dy_n)) *
                                         (int64_t)sizeof(float));
    if (!sum)
        return FC_ENOMEM;
    run_dwb(p, &pl, x, dy, dw, sum);
    fc_scratch_put(sum);
    return FC_OK;
}

#else /* not x86 with GCC/clang: never chosen (the ISA is generic there) */
int fc_conv2d_wgrad_direct_blocked_s2_avx512_f32(const fc_conv2d_params *p, const float *x,
                                                 const float *dy, float *dw, int nthreads)
{
    (void)p, (void)x, (void)dy, (void)dw, (void)nthreads;
    return FC_EINVAL;
}
#endif
