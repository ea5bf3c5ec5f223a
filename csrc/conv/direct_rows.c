/*
 * conv/direct_rows.c - the direct forward vectorised along output rows, for layers with
 * few output channels (see conv/direct.h), and the same with ReLU and the 2x2 pool fused.
 *
 * Layers with few output channels (LeNet's conv1: 1 -> 6, 5x5, pad 2, 28x28), or up to 16
 * with at most 32 taps (ResNet-20's conv1: 3 -> 16) in groups of up to 6, vectorise
 * along the output row instead: 16 output columns per vector, up to 2 vectors (ow <= 32),
 * CO x 2 rows x NCH vectors of accumulators. Each image is first copied into a zero-padded
 * plane (any padding), so taps need no bounds checks. Sums run over taps (ci, ky, kx) in
 * order with FMA from zero, then bias and ReLU as in dc_block. Tasks are whole images.
 */
#pragma STDC FP_CONTRACT OFF

#include <string.h>

#include "conv/direct.h"

#define RV_MAX_CO 6
#define RV_LANES 16
/* Layers of up to 16 channels with few taps (ResNet-20's conv1: 3 -> 16, 3x3, pad 1) run
   in groups of at most RV_MAX_CO channels, each over the same input rows (in L1 by then);
   at 32 channels (cnn_bn's conv1) the GEMM path measured as fast. */
#define RV_WIDE_CO 16
#define RV_WIDE_TAPS 32

/* Layers the row-vectorised forward computes. */
int fc_conv2d_forward_direct_rows_covers(const fc_conv2d_params *p)
{
    const int64_t taps = p->c_in * p->kh * p->kw;
    return p->stride_h == 1 && p->stride_w == 1 && p->dil_h == 1 && p->dil_w == 1 &&
           p->groups == 1 && p->oh >= 2 && p->ow <= 2 * RV_LANES && p->pad_h >= 0 &&
           p->pad_w >= 0 && ((p->c_out <= RV_MAX_CO && taps <= 64) ||
                             (p->c_out <= RV_WIDE_CO && taps <= RV_WIDE_TAPS));
}

/* The same with ReLU and the 2x2 pool fused. */
int fc_conv2d_relu_pool2x2_direct_rows_covers(const fc_conv2d_params *p)
{
    return p->oh >= 2 && p->ow >= 2 && fc_conv2d_forward_direct_rows_covers(p);
}

#if FC_DIRECT_X86
#include "pool/max4_avx512.h"

/* Two output rows (oy, oy + 1) of one image from its padded copy xq (rows of wq floats,
   hp rows per channel): all CO channels, NCH vectors of 16 columns. */
DC_INLINE void rv_rows(const fc_conv2d_params *p, const float *xq, int64_t hp, int64_t wq,
                       const float *w, const float *bias, const dc_out *o, int64_t oy,
                       int relu, const int CO, const int NCH)
{
    __m512 acc[RV_MAX_CO][2][2];
    for (int c = 0; c < CO; c++)
        for (int r = 0; r < 2; r++)
            for (int h = 0; h < NCH; h++)
                acc[c][r][h] = _mm512_setzero_ps();
    const int64_t K = p->c_in * p->kh * p->kw;
    for (int64_t ci = 0; ci < p->c_in; ci++)
        for (int64_t ky = 0; ky < p->kh; ky++)
            for (int64_t kx = 0; kx < p->kw; kx++) {
                const float *xr = xq + (ci * hp + oy + ky) * wq + kx;
                __m512 xv[2][2];
                for (int r = 0; r < 2; r++)
                    for (int h = 0; h < NCH; h++)
                        xv[r][h] = _mm512_loadu_ps(xr + r * wq + h * RV_LANES);
                const int64_t k = (ci * p->kh + ky) * p->kw + kx;
                for (int c = 0; c < CO; c++) {
                    const __m512 wv = _mm512_set1_ps(w[c * K + k]);
                    for (int r = 0; r < 2; r++)
                        for (int h = 0; h < NCH; h++)
                            acc[c][r][h] = _mm512_fmadd_ps(wv, xv[r][h], acc[c][r][h]);
                }
            }
    for (int c = 0; c < CO; c++)
        for (int r = 0; r < 2; r++)
            for (int h = 0; h < NCH; h++) {
                if (bias)
                    acc[c][r][h] = _mm512_add_ps(acc[c][r][h], _mm512_set1_ps(bias[c]));
                if (relu)
                    acc[c][r][h] = _mm512_max_ps(_mm512_setzero_ps(), acc[c][r][h]);
            }
    const int64_t ow = p->ow;
    if (!o->pooled) {
        for (int c = 0; c < CO; c++)
            for (int r = 0; r < 2; r++)
                for (int h = 0; h < NCH; h++) {
                    const int64_t left = ow - h * RV_LANES;
                    const __mmask16 mk = (__mmask16)(left >= RV_LANES ? 0xFFFF
                                                                      : (1u << left) - 1);
                    _mm512_mask_storeu_ps(o->y + (c * p->oh + oy + r) * ow + h * RV_LANES,
                                          mk, acc[c][r][h]);
                }
        return;
    }
    /* 2x2 windows: even and odd columns of both rows, as in pool2x2.c */
    const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26,
                                         28, 30);
    const __m512i od = _mm512_add_epi32(ev, _mm512_set1_epi32(1));
    const int64_t ph = p->oh / 2, pw = ow / 2;
    const __mmask16 mo = (__mmask16)((1u << pw) - 1);
    for (int c = 0; c < CO; c++) {
        const __m512 t0 = acc[c][0][0], b0 = acc[c][1][0];
        const __m512 t1 = NCH > 1 ? acc[c][0][NCH - 1] : _mm512_setzero_ps();
        const __m512 b1 = NCH > 1 ? acc[c][1][NCH - 1] : _mm512_setzero_ps();
        __m512i k;
        const __m512 m = fc_max4_avx512(
            _mm512_permutex2var_ps(t0, ev, t1), _mm512_permutex2var_ps(t0, od, t1),
            _mm512_permutex2var_ps(b0, ev, b1), _mm512_permutex2var_ps(b0, od, b1), &k);
        const int64_t at = (c * ph + oy / 2) * pw;
        _mm512_mask_storeu_ps(o->pooled + at, mo, m);
        _mm512_mask_cvtepi32_storeu_epi8(o->pos + at, mo, k);
    }
}

#define RV_CASE(CO)                                                                        \
    case CO:                                                                               \
        if (nch == 1)                                                                      \
            rv_rows(p, xq, hp, wq, wg, bg, &og, oy, relu, CO, 1);                          \
        else                                                                               \
            rv_rows(p, xq, hp, wq, wg, bg, &og, oy, relu, CO, 2);                          \
        break;

/* One image: its padded copy into xq, then row pairs (an odd last row is computed again
   with the row above it, writing the same values; pooling stops at the last pair), each
   pair for every channel group in turn. */
DC_AVX512 static void rv_image(const fc_conv2d_params *p, const float *xn, float *xq,
                               const float *w, const float *bias, const dc_out *o, int relu)
{
    const int64_t hp = p->oh + p->kh - 1, nch = (p->ow + RV_LANES - 1) / RV_LANES;
    const int64_t wq = nch * RV_LANES + p->kw - 1;
    memset(xq, 0, (size_t)(p->c_in * hp * wq) * sizeof(float));
    for (int64_t ci = 0; ci < p->c_in; ci++)
        for (int64_t r = 0; r < p->h; r++) {
            const int64_t qr = r + p->pad_h;
            const int64_t c0 = p->pad_w, n = fc_min64(p->w, wq - c0);
            if (qr < hp && n > 0)
                memcpy(xq + (ci * hp + qr) * wq + c0, xn + (ci * p->h + r) * p->w,
                       (size_t)n * sizeof(float));
        }
    const int64_t rows = o->pooled ? p->oh / 2 * 2 : p->oh;
    const int64_t groups = fc_ceil_div(p->c_out, RV_MAX_CO), K = p->c_in * p->kh * p->kw;
    const int64_t pooled_plane = (p->oh / 2) * (p->ow / 2);
    for (int64_t y0 = 0; y0 < rows; y0 += 2) {
        const int64_t oy = y0 + 1 < rows ? y0 : rows - 2;
        for (int64_t g = 0; g < groups; g++) {
            /* group g: channels [c0, c0 + co), the sizes as even as they can be */
            const int64_t c0 = g * p->c_out / groups, co = (g + 1) * p->c_out / groups - c0;
            const dc_out og = {o->y ? o->y + c0 * p->oh * p->ow : NULL,
                               o->pooled ? o->pooled + c0 * pooled_plane : NULL,
                               o->pos ? o->pos + c0 * pooled_plane : NULL, NULL};
            const float *wg = w + c0 * K, *bg = bias ? bias + c0 : NULL;
            switch (co) {
                RV_CASE(1) RV_CASE(2) RV_CASE(3) RV_CASE(4) RV_CASE(5) RV_CASE(6)
            }
        }
    }
}

/* What plan_rv decides: threads (tasks are images), each one's padded copy. */
typedef struct {
    int64_t xq_n, in, out;
    int nt;
} rv_plan;

static void plan_rv(const fc_conv2d_params *p, int pooled, int nthreads, rv_plan *pl)
{
    const int64_t hp = p->oh + p->kh - 1, nch = (p->ow + RV_LANES - 1) / RV_LANES;
    pl->xq_n = fc_pad_elems(p->c_in * hp * (nch * RV_LANES + p->kw - 1), sizeof(float));
    pl->in = p->c_in * p->h * p->w;
    pl->out = pooled ? p->c_out * (p->oh / 2) * (p->ow / 2) : p->c_out * p->oh * p->ow;
    pl->nt = dc_threads(p, p->n, nthreads);
}

/* The OpenMP region: one image per task, each into its thread's padded copy. */
static void run_rv(const fc_conv2d_params *p, const rv_plan *pl, const float *x,
                   const float *w, const float *bias, float *y, float *pooled, uint8_t *pos,
                   int relu, float *xq)
{
    const int64_t in = pl->in, out = pl->out;
#pragma omp parallel num_threads(pl->nt) if (pl->nt > 1)
    {
        float *mine = xq + fc_thread_num() * pl->xq_n;
#pragma omp for schedule(static)
        for (int64_t img = 0; img < p->n; img++) {
            const dc_out o = {pooled ? NULL : y + img * out, pooled ? pooled + img * out : NULL,
                              pooled ? pos + img * out : NULL};
            rv_image(p, x + img * in, mine, w, bias, &o, relu);
        }
    }
}

int fc_conv2d_forward_direct_rows_avx512_f32(const fc_conv2d_params *p, const float *x,
                                             const float *w, const float *bias, float *y,
                                             float *pooled, uint8_t *pos, int relu,
                                             int nthreads)
{
    rv_plan pl;
    plan_rv(p, pooled != NULL, nthreads, &pl);
    float *xq = (float *)fc_scratch_get(pl.nt * pl.xq_n * (int64_t)sizeof(float));
    if (!xq)
        return FC_ENOMEM;
    run_rv(p, &pl, x, w, bias, y, pooled, pos, relu, xq);
    fc_scratch_put(xq);
    return FC_OK;
}

#else /* not x86 with GCC/clang: never chosen (the ISA is generic there) */
int fc_conv2d_forward_direct_rows_avx512_f32(const fc_conv2d_params *p, const float *x,
                                             const float *w, const float *bias, float *y,
                                             float *pooled, uint8_t *pos, int relu,
                                             int nthreads)
{
    (void)p, (void)x, (void)w, (void)bias, (void)y, (void)pooled, (void)pos, (void)relu;
    (void)nthreads;
    return FC_EINVAL;
}
#endif
